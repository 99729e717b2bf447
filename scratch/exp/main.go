package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
)

var base = "http://127.0.0.1:28086"

func line(n int, rev int, extra string) string {
	ind := fmt.Sprintf("%d.1", 1+n%300)
	pe := time.Date(2026, 4, 30, 16, 0, 0, 0, time.UTC)
	ts := pe.UnixNano() + int64(rev)*1000 + 1
	return fmt.Sprintf(`report,collector=cabc,department=d%d,indicator=%s,task=%d,unit=人 revision=%di,received_at=%di,value=%d,period="2026-04",id="%024x",sender="fgw",note="进展顺利",remote="127.0.0.1:5000"%s %d`,
		(n%300)/200, ind, n%300, rev, time.Now().UnixNano(), n, n, extra, ts)
}

func main() {
	mode := flag.String("mode", "write", "write|query")
	db := flag.String("db", "exp", "")
	n := flag.Int("n", 200000, "")
	batch := flag.Int("batch", 100, "")
	conns := flag.Int("conns", 16, "")
	change := flag.String("change", "none", "none|refs|full")
	q := flag.String("q", "", "")
	flag.Parse()
	switch *mode {
	case "write":
		c := influxdb2.NewClient(base, "")
		w := c.WriteAPIBlocking("", *db+"/autogen")
		var seq atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for range *conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					start := int(seq.Add(int64(*batch))) - *batch
					if start >= *n {
						return
					}
					lines := make([]string, 0, *batch+1)
					var refs strings.Builder
					for i := start; i < start+*batch; i++ {
						lines = append(lines, line(i, 1+i/300, ""))
						switch *change {
						case "refs":
							fmt.Fprintf(&refs, "%d.1 2026-04 %d;", 1+i%300, 1+i/300)
						case "full":
							fmt.Fprintf(&refs, `{\"i\":\"%d.1\",\"p\":\"2026-04\",\"r\":%d,\"v\":%d,\"s\":\"fgw\",\"n\":\"进展顺利\",\"t\":%d,\"rm\":\"127.0.0.1:5000\",\"id\":\"%024x\"},`, 1+i%300, 1+i/300, i, time.Now().UnixNano(), i)
						}
					}
					if *change != "none" {
						lines = append(lines, fmt.Sprintf(`changes,collector=cabc revs="%s" %d`, refs.String(), time.Now().UnixNano()))
					}
					if err := w.WriteRecord(context.Background(), lines...); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
		d := time.Since(t0)
		fmt.Printf("%d reports in %v: %.0f reports/s\n", *n, d, float64(*n)/d.Seconds())
	case "query":
		t0 := time.Now()
		resp, err := http.PostForm(base+"/query", url.Values{"q": {*q}, "db": {*db}, "epoch": {"ns"}})
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		d := time.Since(t0)
		s := string(b)
		if len(s) > 600 {
			s = s[:300] + " ... " + s[len(s)-300:]
		}
		fmt.Printf("%v %d bytes: %s\n", d, len(b), s)
	}
}
