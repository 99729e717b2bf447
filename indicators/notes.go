package indicators

import "strings"

// Notes are the three things the supervision office asks with every report: 进展情况
// (progress), 存在问题 (problems) and 下步打算 (next steps). A report keeps them in its
// one Note, so that every door (JSON, CSV, the Excel template's 情况说明, the browser
// form) and every reader (board, bulletin, history) deals with one text:
//
//   - only progress given: the note is that text, as it was written;
//   - problems or next steps given: one line per part given, each starting with its
//     label and a colon ("进展情况:…\n存在问题:…\n下步打算:…").
//
// ParseNotes reads such a note back (a note without labels is all progress), so a form
// shows a stored note in its three boxes and sending it again changes nothing.
type Notes struct {
	Progress, Problems, Plans string
}

// Labels of the three parts, in the order a note lists them.
const (
	NoteProgress = "进展情况"
	NoteProblems = "存在问题"
	NotePlans    = "下步打算"
)

// Note is the report's note holding n (see Notes).
func (n Notes) Note() string {
	p, q, r := strings.TrimSpace(n.Progress), strings.TrimSpace(n.Problems), strings.TrimSpace(n.Plans)
	if q == "" && r == "" {
		return p
	}
	var parts []string
	for _, part := range []struct{ label, text string }{{NoteProgress, p}, {NoteProblems, q}, {NotePlans, r}} {
		if part.text != "" {
			parts = append(parts, part.label+":"+part.text)
		}
	}
	return strings.Join(parts, "\n")
}

// ParseNotes splits a note into its three parts: a line starting with a label and a
// colon (ASCII or full-width) begins that part, and the lines after it belong to it
// until the next label; text before the first label is progress.
func ParseNotes(note string) Notes {
	var parts [3][]string
	cur := 0
	for _, line := range strings.Split(strings.ReplaceAll(note, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimLeft(line, " \t\u3000")
		for i, label := range []string{NoteProgress, NoteProblems, NotePlans} {
			if rest, ok := strings.CutPrefix(trimmed, label); ok {
				if r, ok := cutColon(rest); ok {
					cur, line = i, r
					break
				}
			}
		}
		parts[cur] = append(parts[cur], line)
	}
	join := func(lines []string) string { return strings.TrimSpace(strings.Join(lines, "\n")) }
	return Notes{Progress: join(parts[0]), Problems: join(parts[1]), Plans: join(parts[2])}
}

func cutColon(s string) (string, bool) {
	if r, ok := strings.CutPrefix(s, ":"); ok {
		return r, true
	}
	return strings.CutPrefix(s, "：")
}
