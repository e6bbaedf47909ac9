package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws, on one terminal line, how many of total items are
// done, their rate and the time left. A nil *progressBar draws nothing.
type progressBar struct {
	w     io.Writer
	total int // -1 when unknown
	start time.Time
	last  time.Time
	done  int
}

// barWidth is the width of the bar itself, in characters.
const barWidth = 30

func newProgressBar(w io.Writer, total int) *progressBar {
	now := time.Now()
	p := &progressBar{w: w, total: total, start: now}
	p.draw(now)
	return p
}

// update sets how many items are done, and redraws at most ten times a
// second.
func (p *progressBar) update(done int) {
	if p == nil {
		return
	}
	p.done = done
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.draw(now)
	}
}

// finish draws the final state and ends the line.
func (p *progressBar) finish() {
	if p == nil {
		return
	}
	p.draw(time.Now())
	fmt.Fprintln(p.w)
}

func (p *progressBar) draw(now time.Time) {
	p.last = now
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	var b strings.Builder
	b.WriteString("\r")
	if p.total >= 0 {
		frac := 1.0
		if p.total > 0 {
			frac = min(float64(p.done)/float64(p.total), 1)
		}
		filled := int(frac * barWidth)
		fmt.Fprintf(&b, "[%s%s] %s/%s sales %3.0f%%", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
			thousands(p.done), thousands(p.total), frac*100)
	} else {
		fmt.Fprintf(&b, "%s sales", thousands(p.done))
	}
	fmt.Fprintf(&b, "  %s/s", thousands(int(rate)))
	if p.total > 0 && rate > 0 && p.done < p.total {
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		fmt.Fprintf(&b, "  %s left", left.Round(time.Second))
	} else {
		fmt.Fprintf(&b, "  %s", elapsed.Round(100*time.Millisecond))
	}
	b.WriteString("\x1b[K") // clear what a longer previous line left
	io.WriteString(p.w, b.String())
}

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
