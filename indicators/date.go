package indicators

import (
	"fmt"
	"time"
)

// Date is a calendar day "YYYY-MM-DD" without a time zone; the plan's zone gives it one.
type Date string

// Parse checks the date's form.
func (d Date) Parse() (year int, month time.Month, day int, err error) {
	t, err := time.Parse("2006-01-02", string(d))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("date %q: want YYYY-MM-DD: %w", string(d), err)
	}
	return t.Year(), t.Month(), t.Day(), nil
}

// End returns the first instant after the day in loc (a due date is met when
// reached before End).
func (d Date) End(loc *time.Location) (time.Time, error) {
	y, m, dd, err := d.Parse()
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(y, m, dd+1, 0, 0, 0, 0, loc), nil
}

// DateOf formats a time as a Date in its own location.
func DateOf(t time.Time) Date { return Date(t.Format("2006-01-02")) }
