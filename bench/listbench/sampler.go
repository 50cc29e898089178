package main

import (
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// memSampler records, every interval (-heap-sample, 1 ms) while a scenario runs (from
// runtime/metrics, which does not stop the world), the peak heap (heap
// objects: live ones and garbage not yet collected, HeapAlloc, so its peak
// depends on when the collector ran) and the peak live heap (what the last
// collection found reachable: what the program holds). An interval of 0
// samples nothing and reports no peak: the cpu scenario's setting, as a
// wake-up every millisecond costs the process CPU time that is not the
// client's (bench/README.md).
type memSampler struct {
	peak, live atomic.Uint64
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startSampler(every time.Duration) *memSampler {
	runtime.GC()
	s := &memSampler{stop: make(chan struct{})}
	if every <= 0 {
		return s
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(samples)
			for i, a := range []*atomic.Uint64{&s.peak, &s.live} {
				if v := samples[i].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > a.Load() {
					a.Store(v.Uint64())
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) done() (peak, live uint64) {
	close(s.stop)
	s.wg.Wait()
	return s.peak.Load(), s.live.Load()
}

// peakRSS returns VmHWM from /proc/self/status, in bytes (0 when unknown).
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
