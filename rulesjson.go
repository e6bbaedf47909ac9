package commission

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rules load from JSON as they are written in Go, so that an application
// can keep them in a file or its database. Durations are written as Go
// durations with days allowed ("720h", "30d", "90s"); New validates the
// result, naming each bad rule by its path.

// jsonDuration is a time.Duration in JSON: a string such as "30d" or
// "12h30m".
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return json.Marshal(strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d")
	}
	return json.Marshal(td.String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("commission: a duration is a string such as \"30d\" or \"12h\", not %s", b)
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil {
			return fmt.Errorf("commission: duration %q: %w", brief(s), err)
		}
		if maxDays := int64(math.MaxInt64 / (24 * time.Hour)); n > maxDays || n < -maxDays {
			return fmt.Errorf("commission: duration %q: more than %d days", brief(s), maxDays)
		}
		*d = jsonDuration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	td, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("commission: duration %q: %w", brief(s), err)
	}
	*d = jsonDuration(td)
	return nil
}

// MarshalJSON writes the rule set with readable durations.
func (rs RuleSet) MarshalJSON() ([]byte, error) {
	type plain RuleSet
	return json.Marshal(struct {
		plain
		ReviewPeriod jsonDuration `json:"review_period,omitempty"`
	}{plain(rs), jsonDuration(rs.ReviewPeriod)})
}

// UnmarshalJSON reads a rule set, its durations as strings ("30d").
func (rs *RuleSet) UnmarshalJSON(b []byte) error {
	type plain RuleSet
	aux := struct {
		*plain
		ReviewPeriod jsonDuration `json:"review_period"`
	}{plain: (*plain)(rs)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	rs.ReviewPeriod = time.Duration(aux.ReviewPeriod)
	return nil
}

// MarshalJSON writes the fraud settings with a readable window.
func (f Fraud) MarshalJSON() ([]byte, error) {
	type plain Fraud
	return json.Marshal(struct {
		plain
		RepeatWindow jsonDuration `json:"repeat_window,omitempty"`
	}{plain(f), jsonDuration(f.RepeatWindow)})
}

// UnmarshalJSON reads the fraud settings, the window as a string ("60s").
func (f *Fraud) UnmarshalJSON(b []byte) error {
	type plain Fraud
	aux := struct {
		*plain
		RepeatWindow jsonDuration `json:"repeat_window"`
	}{plain: (*plain)(f)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	f.RepeatWindow = time.Duration(aux.RepeatWindow)
	return nil
}

// MarshalJSON writes the friend's reward with a readable review period.
func (f FriendReward) MarshalJSON() ([]byte, error) {
	type plain FriendReward
	return json.Marshal(struct {
		plain
		ReviewPeriod jsonDuration `json:"review_period,omitempty"`
	}{plain(f), jsonDuration(f.ReviewPeriod)})
}

// UnmarshalJSON reads the friend's reward, the period as a string ("14d").
func (f *FriendReward) UnmarshalJSON(b []byte) error {
	type plain FriendReward
	aux := struct {
		*plain
		ReviewPeriod jsonDuration `json:"review_period"`
	}{plain: (*plain)(f)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	f.ReviewPeriod = time.Duration(aux.ReviewPeriod)
	return nil
}

// MarshalJSON writes the referral reward with a readable review period.
func (rr ReferralReward) MarshalJSON() ([]byte, error) {
	type plain ReferralReward
	return json.Marshal(struct {
		plain
		ReviewPeriod jsonDuration `json:"review_period,omitempty"`
	}{plain(rr), jsonDuration(rr.ReviewPeriod)})
}

// UnmarshalJSON reads the referral reward, the period as a string
// ("14d").
func (rr *ReferralReward) UnmarshalJSON(b []byte) error {
	type plain ReferralReward
	aux := struct {
		*plain
		ReviewPeriod jsonDuration `json:"review_period"`
	}{plain: (*plain)(rr)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	rr.ReviewPeriod = time.Duration(aux.ReviewPeriod)
	return nil
}
