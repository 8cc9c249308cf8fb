// Pion (Debian's Go sources, built in GOPATH mode by the xtask) as the peer of `cargo xtask
// interop datachannel`: the peer's half of the data channel scenario (../README.md; the same
// as ../scenario.js for the Node peers), signalling with one JSON object per line on stdin and
// stdout, logs on stderr.
//
// Command line: `pion-datachannel --offer|--answer [--big BYTES] [--timeout SECONDS]`.
//
// Pion calls back on its own goroutines; every callback posts a function to one loop, which
// owns the scenario's state.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v3"
)

const (
	ours   = 'P'
	theirs = 'R'
)

type channelSpec struct {
	label   string
	ordered bool
	id      *uint16 // nil: in band, opened by the offerer
}

var negotiatedID uint16 = 5

var specs = []channelSpec{
	{"ordered", true, nil},
	{"unordered", false, nil},
	{"negotiated", true, &negotiatedID},
}

type kind struct {
	isString bool
	length   int
}

func (k kind) String() string {
	if k.isString {
		return fmt.Sprintf("text %d B", k.length)
	}
	return fmt.Sprintf("binary %d B", k.length)
}

// message is `origin`, then a..z repeated (text) or (7 i + 3) mod 256 (binary).
func message(origin byte, isString bool, length int) []byte {
	out := make([]byte, length)
	for i := range out {
		switch {
		case i == 0:
			out[i] = origin
		case isString:
			out[i] = byte('a' + i%26)
		default:
			out[i] = byte((i*7 + 3) & 0xff)
		}
	}
	return out
}

func kinds(big int) []kind {
	var out []kind
	for _, s := range []bool{true, false} {
		for _, n := range []int{1, 16 * 1024, big} {
			out = append(out, kind{s, n})
		}
	}
	return out
}

var stdoutMu sync.Mutex

func signal(v interface{}) {
	line, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	os.Stdout.Write(append(line, '\n'))
}

type channel struct {
	dc       *webrtc.DataChannel
	label    string
	ordered  bool
	kinds    []kind
	echoed   map[kind]bool
	received []kind
	opened   bool
	closed   bool
	complete bool
}

type scenario struct {
	offerer      bool
	big          int
	start        time.Time
	pc           *webrtc.PeerConnection
	loop         chan func()
	channels     map[string]*channel
	errors       []string
	facts        []string
	weComplete   bool
	peerComplete bool
	closeSent    bool
	finished     bool
	connectedAt  *time.Time
	completedAt  *time.Time
	done         chan map[string]interface{}
	// Candidates wait until our description is out.
	described bool
	held      []interface{}
}

func (s *scenario) log(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[%7.3f] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

// post runs f on the scenario's loop.
func (s *scenario) post(f func()) {
	s.loop <- f
}

func (s *scenario) fail(format string, args ...interface{}) {
	if s.finished {
		return
	}
	s.errors = append(s.errors, fmt.Sprintf(format, args...))
	s.finish(false)
}

func (s *scenario) finish(ok bool) {
	if s.finished {
		return
	}
	s.finished = true
	secs := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f s", t.Sub(s.start).Seconds())
	}
	facts := append([]string{}, s.facts...)
	if !ok {
		for _, spec := range specs {
			ch := s.channels[spec.label]
			if ch == nil {
				facts = append(facts, spec.label+": never seen")
				continue
			}
			facts = append(facts, fmt.Sprintf("%s: open %v, %d/%d echoed back, %d/%d received, closed %v",
				ch.label, ch.opened, len(ch.echoed), len(ch.kinds), len(ch.received), len(ch.kinds), ch.closed))
		}
		if !s.peerComplete {
			facts = append(facts, "the Rust side never said complete")
		}
	}
	closer := "the Rust side"
	if s.offerer {
		closer = "us"
	}
	now := time.Now()
	detail := fmt.Sprintf("connected after %s, messages done after %s, closed by %s after %s",
		secs(s.connectedAt), secs(s.completedAt), closer, secs(&now))
	if len(facts) > 0 {
		detail += "; " + strings.Join(facts, "; ")
	}
	errs := s.errors
	if errs == nil {
		errs = []string{}
	}
	done := map[string]interface{}{"type": "done", "ok": ok && len(s.errors) == 0, "detail": detail, "errors": errs}
	line, _ := json.Marshal(done)
	s.log("done: %s", line)
	signal(done)
	s.done <- done
}

func (s *scenario) send(ch *channel, isString bool, data []byte) error {
	if isString {
		return ch.dc.SendText(string(data))
	}
	return ch.dc.Send(data)
}

func (s *scenario) wire(dc *webrtc.DataChannel, checkOrdered bool) {
	label := dc.Label()
	var spec *channelSpec
	for i := range specs {
		if specs[i].label == label {
			spec = &specs[i]
		}
	}
	if spec == nil {
		s.fail("unexpected channel `%s`", label)
		return
	}
	if s.channels[label] != nil {
		s.fail("a second channel `%s`", label)
		return
	}
	if checkOrdered && dc.Ordered() != spec.ordered {
		s.fail("channel `%s` has ordered=%v, expected %v", label, dc.Ordered(), spec.ordered)
	}
	ch := &channel{dc: dc, label: label, ordered: spec.ordered, kinds: kinds(s.big), echoed: map[kind]bool{}}
	s.channels[label] = ch
	dc.OnOpen(func() { s.post(func() { s.onOpen(ch) }) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		data := append([]byte{}, m.Data...)
		s.post(func() { s.onMessage(ch, m.IsString, data) })
	})
	dc.OnClose(func() { s.post(func() { s.onClose(ch) }) })
	if dc.ReadyState() == webrtc.DataChannelStateOpen {
		s.onOpen(ch)
	}
}

func (s *scenario) onOpen(ch *channel) {
	if ch.opened {
		return
	}
	ch.opened = true
	s.log("channel `%s` open", ch.label)
	for _, k := range ch.kinds {
		if err := s.send(ch, k.isString, message(ours, k.isString, k.length)); err != nil {
			s.fail("%s: sending %s: %v", ch.label, k, err)
			return
		}
	}
}

func (s *scenario) onMessage(ch *channel, isString bool, data []byte) {
	if s.finished {
		return
	}
	k := kind{isString, len(data)}
	what := fmt.Sprintf("%s: %s", ch.label, k)
	expectedKind := false
	for _, x := range ch.kinds {
		expectedKind = expectedKind || x == k
	}
	if !expectedKind {
		s.fail("%s: no message of this kind was expected", what)
		return
	}
	origin := data[0]
	if origin != ours && origin != theirs {
		s.fail("%s: starts with byte %d", what, origin)
		return
	}
	expected := message(origin, isString, len(data))
	if !bytes.Equal(data, expected) {
		at := 0
		for data[at] == expected[at] {
			at++
		}
		source := "the Rust side"
		if origin == ours {
			source = "us (echo)"
		}
		s.fail("%s from %s: byte %d is %d, expected %d", what, source, at, data[at], expected[at])
		return
	}
	if origin == ours {
		if ch.echoed[k] {
			s.fail("%s: echoed twice", what)
			return
		}
		ch.echoed[k] = true
	} else {
		for _, x := range ch.received {
			if x == k {
				s.fail("%s: arrived twice", what)
				return
			}
		}
		ch.received = append(ch.received, k)
		if ch.ordered && len(ch.received) == len(ch.kinds) {
			for i := range ch.kinds {
				if ch.received[i] != ch.kinds[i] {
					s.fail("%s: ordered channel delivered %v", ch.label, ch.received)
					return
				}
			}
		}
		if err := s.send(ch, isString, data); err != nil {
			s.fail("%s: echo: %v", what, err)
			return
		}
	}
	if !ch.complete && len(ch.echoed) == len(ch.kinds) && len(ch.received) == len(ch.kinds) {
		ch.complete = true
		s.log("channel `%s` complete", ch.label)
		s.checkComplete()
	}
}

func (s *scenario) checkComplete() {
	all := len(s.channels) == len(specs)
	for _, ch := range s.channels {
		all = all && ch.complete
	}
	if all && !s.weComplete {
		s.weComplete = true
		now := time.Now()
		s.completedAt = &now
		s.log("every channel is complete")
		signal(map[string]string{"type": "complete"})
	}
	s.maybeClose()
}

func (s *scenario) maybeClose() {
	if s.offerer && s.weComplete && s.peerComplete && !s.closeSent {
		s.closeSent = true
		s.log("both sides complete: closing the channels")
		for _, ch := range s.channels {
			if err := ch.dc.Close(); err != nil {
				s.fail("%s: close: %v", ch.label, err)
			}
		}
	}
}

func (s *scenario) onClose(ch *channel) {
	if ch.closed || s.finished {
		return
	}
	ch.closed = true
	s.log("channel `%s` closed", ch.label)
	if !ch.complete {
		s.fail("`%s` closed before its messages were done", ch.label)
		return
	}
	all := len(s.channels) == len(specs)
	for _, c := range s.channels {
		all = all && c.closed
	}
	if all {
		s.finish(true)
	}
}

func (s *scenario) createChannel(spec channelSpec) error {
	ordered := spec.ordered
	init := &webrtc.DataChannelInit{Ordered: &ordered}
	if spec.id != nil {
		negotiated := true
		init.Negotiated = &negotiated
		init.ID = spec.id
	}
	dc, err := s.pc.CreateDataChannel(spec.label, init)
	if err != nil {
		return err
	}
	s.wire(dc, false)
	return nil
}

func (s *scenario) describe(desc *webrtc.SessionDescription) {
	signal(desc)
	s.described = true
	for _, line := range s.held {
		signal(line)
	}
	s.held = nil
}

func (s *scenario) sendCandidate(line interface{}) {
	if s.described {
		signal(line)
	} else {
		s.held = append(s.held, line)
	}
}

func (s *scenario) handle(line []byte) error {
	var msg struct {
		Type      string                   `json:"type"`
		SDP       string                   `json:"sdp"`
		Candidate *webrtc.ICECandidateInit `json:"candidate"`
	}
	if err := json.Unmarshal(line, &msg); err != nil {
		s.log("bad signalling line %q: %v", line, err)
		return nil
	}
	switch msg.Type {
	case "complete":
		s.log("the Rust side is complete")
		s.peerComplete = true
		s.maybeClose()
	case "done":
		s.log("the Rust side is done: %s", line)
	case "offer":
		if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: msg.SDP}); err != nil {
			return fmt.Errorf("SetRemoteDescription(offer): %w", err)
		}
		if err := s.createChannel(specs[2]); err != nil {
			return fmt.Errorf("CreateDataChannel(negotiated): %w", err)
		}
		answer, err := s.pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("CreateAnswer: %w", err)
		}
		if err := s.pc.SetLocalDescription(answer); err != nil {
			return fmt.Errorf("SetLocalDescription(answer): %w", err)
		}
		s.describe(s.pc.LocalDescription())
	case "answer":
		if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: msg.SDP}); err != nil {
			return fmt.Errorf("SetRemoteDescription(answer): %w", err)
		}
	case "candidate":
		if msg.Candidate == nil || msg.Candidate.Candidate == "" {
			return nil // Pion takes no end-of-candidates
		}
		if err := s.pc.AddICECandidate(*msg.Candidate); err != nil {
			s.log("AddICECandidate(%s): %v", msg.Candidate.Candidate, err)
		}
	default:
		return fmt.Errorf("unexpected signalling line %s", line)
	}
	return nil
}

func run() (bool, error) {
	offer := flag.Bool("offer", false, "make the offer")
	answer := flag.Bool("answer", false, "answer")
	big := flag.Int("big", 256*1024, "the size of the large messages")
	timeout := flag.Float64("timeout", 50, "seconds")
	flag.Parse()
	if *offer == *answer {
		return false, errors.New("usage: pion-datachannel --offer|--answer [--big BYTES] [--timeout SECONDS]")
	}

	// The interop namespace has only a loopback interface.
	settings := webrtc.SettingEngine{}
	settings.SetIncludeLoopbackCandidate(true)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(settings))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return false, err
	}
	s := &scenario{
		offerer:  *offer,
		big:      *big,
		start:    time.Now(),
		pc:       pc,
		loop:     make(chan func(), 1024),
		channels: map[string]*channel{},
		done:     make(chan map[string]interface{}, 1),
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		s.post(func() {
			if c == nil {
				// End of gathering: end-of-candidates.
				s.sendCandidate(map[string]interface{}{"type": "candidate", "candidate": nil})
				return
			}
			s.sendCandidate(map[string]interface{}{"type": "candidate", "candidate": c.ToJSON()})
		})
	})
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		s.post(func() {
			s.log("connection %s", state)
			if state == webrtc.PeerConnectionStateConnected && s.connectedAt == nil {
				now := time.Now()
				s.connectedAt = &now
			}
			if state == webrtc.PeerConnectionStateFailed {
				s.fail("the connection failed")
			}
		})
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		s.post(func() {
			id := -1
			if dc.ID() != nil {
				id = int(*dc.ID())
			}
			s.log("datachannel `%s` (id %d, ordered %v)", dc.Label(), id, dc.Ordered())
			if s.offerer {
				s.fail("the Rust answerer opened channel `%s`", dc.Label())
			}
			s.wire(dc, true)
		})
	})

	lines := make(chan []byte)
	go func() {
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 1<<20), 1<<24)
		for scanner.Scan() {
			lines <- append([]byte{}, scanner.Bytes()...)
		}
		close(lines)
	}()

	if s.offerer {
		for _, spec := range specs {
			if err := s.createChannel(spec); err != nil {
				s.fail("CreateDataChannel(%s): %v", spec.label, err)
			}
		}
		desc, err := pc.CreateOffer(nil)
		if err == nil {
			err = pc.SetLocalDescription(desc)
		}
		if err != nil {
			s.fail("offer: %v", err)
		} else {
			s.describe(pc.LocalDescription())
		}
	}

	deadline := time.After(time.Duration(*timeout * float64(time.Second)))
	var result map[string]interface{}
	stdinOpen := true
	for result == nil || stdinOpen {
		var linger <-chan time.Time
		if result != nil {
			// Keep the connection up until the xtask has both results (it ends our stdin).
			linger = time.After(10 * time.Second)
		}
		select {
		case f := <-s.loop:
			f()
		case line, ok := <-lines:
			if !ok {
				stdinOpen = false
				lines = nil
				if result == nil {
					s.fail("stdin ended before the scenario did")
				}
				continue
			}
			if strings.TrimSpace(string(line)) == "" {
				continue
			}
			if err := s.handle(line); err != nil {
				s.fail("%v", err)
			}
		case done := <-s.done:
			result = done
		case <-deadline:
			s.fail("timed out after %.0f s", *timeout)
		case <-linger:
			stdinOpen = false
		}
	}
	_ = pc.Close()
	return result["ok"] == true, nil
}

func main() {
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}
