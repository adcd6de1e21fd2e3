package conformance

import "time"

var zeroTime time.Time
