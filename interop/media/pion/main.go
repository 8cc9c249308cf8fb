// Pion (Debian's Go sources, built in GOPATH mode by the xtask) as the peer of `cargo xtask
// interop media` (../README.md): play-from-disk and save-to-disk at once, as the Rust peer
// (crates/rtc/examples/media_interop.rs) is. It sends VP8 from an IVF file and Opus from an Ogg
// file, looped on the clock, reads the RTCP that comes back to its two senders, and writes what
// the Rust side sends to OUT/received.ivf and OUT/received.ogg with Pion's ivfwriter and
// oggwriter. Signalling is one JSON object per line on stdin and stdout (offer, answer,
// candidate, complete, done), logs go to stderr.
//
// Command line:
//
//	pion-media --offer|--answer --video FILE.ivf --audio FILE.ogg --out DIR
//	           [--frames N] [--timeout SECONDS]
//
// It says `complete` when it has received --frames VP8 frames (from a keyframe on) and 50 Opus
// packets, and `done` when the Rust side said `done`, after closing its files.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v3/pkg/media/oggwriter"
)

// Audio packets to receive before `complete`, as the other peers of the layer want.
const audioWanted = 50

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

var start = time.Now()

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[%7.3f] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// ---- Reading the files to play.

// ivfFrames reads every frame of a VP8 IVF file and the time one frame lasts (one tick of
// the file's timebase per frame, as encoders write them).
func ivfFrames(path string) ([][]byte, time.Duration, error) {
	f, err := os.Open(path) //nolint:gosec
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	reader, header, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if header.FourCC != "VP80" {
		return nil, 0, fmt.Errorf("%s: %q, not VP8", path, header.FourCC)
	}
	var frames [][]byte
	for {
		frame, _, err := reader.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		frames = append(frames, frame)
	}
	if len(frames) == 0 || header.TimebaseDenominator == 0 {
		return nil, 0, fmt.Errorf("%s: no frame, or no timebase", path)
	}
	// The IVF header has the timebase as denominator, then numerator.
	tick := time.Duration(uint64(time.Second) * uint64(header.TimebaseNumerator) / uint64(header.TimebaseDenominator))
	return frames, tick, nil
}

// oggOpusPackets reads the Opus packets of an Ogg file (RFC 3533 pages, RFC 7845 headers).
// Pion's oggreader returns whole pages, and an Ogg page may hold many packets (ffmpeg puts up
// to a second of audio in one), so this reads the pages' lacing values itself.
func oggOpusPackets(path string) ([][]byte, error) {
	data, err := os.ReadFile(path) //nolint:gosec
	if err != nil {
		return nil, err
	}
	var packets [][]byte
	var partial []byte
	for at := 0; at < len(data); {
		if len(data)-at < 27 || string(data[at:at+4]) != "OggS" {
			return nil, fmt.Errorf("%s: no Ogg page at byte %d", path, at)
		}
		segments := int(data[at+26])
		lacing := data[at+27 : at+27+segments]
		body := at + 27 + segments
		for _, n := range lacing {
			if body+int(n) > len(data) {
				return nil, fmt.Errorf("%s: a page ends past the file", path)
			}
			partial = append(partial, data[body:body+int(n)]...)
			body += int(n)
			if n < 255 { // a packet ends here
				packets = append(packets, partial)
				partial = nil
			}
		}
		at = body
	}
	if len(packets) < 3 || !strings.HasPrefix(string(packets[0]), "OpusHead") || !strings.HasPrefix(string(packets[1]), "OpusTags") {
		return nil, fmt.Errorf("%s: not an Ogg Opus file with audio", path)
	}
	return packets[2:], nil
}

// opusDuration is how long an Opus packet plays (RFC 6716 §3.1: the TOC byte's configuration
// gives the frame size, its code the number of frames).
func opusDuration(packet []byte) time.Duration {
	if len(packet) == 0 {
		return 20 * time.Millisecond
	}
	config := packet[0] >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = []time.Duration{10, 20, 40, 60}[config%4] * time.Millisecond
	case config < 16: // hybrid: 10, 20 ms
		frame = []time.Duration{10, 20}[config%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []time.Duration{2500, 5000, 10000, 20000}[config%4] * time.Microsecond
	}
	count := 1
	switch packet[0] & 3 {
	case 1, 2:
		count = 2
	case 3:
		if len(packet) > 1 {
			count = int(packet[1] & 0x3f)
		}
	}
	return frame * time.Duration(count)
}

// ---- Playing: both loops run until `stop` is closed.

func playVideo(track *webrtc.TrackLocalStaticSample, frames [][]byte, tick time.Duration, stop <-chan struct{}, sent *counter) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		for _, frame := range frames {
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
			if err := track.WriteSample(media.Sample{Data: frame, Duration: tick}); err != nil {
				logf("video WriteSample: %v", err)
				continue
			}
			sent.add("video frames", 1)
		}
	}
}

func playAudio(track *webrtc.TrackLocalStaticSample, packets [][]byte, stop <-chan struct{}, sent *counter) {
	next := time.Now()
	for {
		for _, packet := range packets {
			select {
			case <-stop:
				return
			case <-time.After(time.Until(next)):
			}
			duration := opusDuration(packet)
			next = next.Add(duration)
			if err := track.WriteSample(media.Sample{Data: packet, Duration: duration}); err != nil {
				logf("audio WriteSample: %v", err)
				continue
			}
			sent.add("audio packets", 1)
		}
	}
}

// readRTCP reads what comes back to a sender (receiver reports, PLI, NACK...); the
// interceptors act on it, and the counts go into our `done`.
func readRTCP(kind string, sender *webrtc.RTPSender, read *counter) {
	for {
		packets, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range packets {
			name := fmt.Sprintf("%T", p)
			name = name[strings.LastIndex(name, ".")+1:]
			read.add(kind+" "+name, 1)
		}
	}
}

// counter counts by name, from any goroutine.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newCounter() *counter { return &counter{counts: map[string]int{}} }

func (c *counter) add(name string, n int) {
	c.mu.Lock()
	c.counts[name] += n
	c.mu.Unlock()
}

func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for name, n := range c.counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ---- Saving: a remote track's RTP into Pion's writer for its codec.

type recording struct {
	mu        sync.Mutex
	writer    media.Writer
	file      string
	packets   int
	frames    int // VP8: frames from the first keyframe on (marker bits); Opus: packets
	keyframes int
	keyframe  bool // VP8: a keyframe was seen, as ivfwriter wants
	closed    bool
}

func (r *recording) write(p *rtp.Packet, vp8 bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.packets++
	if vp8 {
		var d codecs.VP8Packet
		if _, err := d.Unmarshal(p.Payload); err == nil && d.S == 1 && d.PID == 0 && len(d.Payload) > 0 && d.Payload[0]&1 == 0 {
			r.keyframes++
			r.keyframe = true
		}
		if r.keyframe && p.Marker {
			r.frames++
		}
	} else if len(p.Payload) > 0 {
		r.frames++
	}
	return r.writer.WriteRTP(p)
}

func (r *recording) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.writer.Close()
}

func (r *recording) counts() (frames, keyframes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames, r.keyframes
}

// ---- The peer.

type peer struct {
	offerer   bool
	wanted    int
	out       string
	pc        *webrtc.PeerConnection
	loop      chan func()
	described bool
	held      []interface{}

	video, audio   *webrtc.TrackLocalStaticSample
	videoFrames    [][]byte
	tick           time.Duration
	audioPackets   [][]byte
	playing        bool
	stop           chan struct{}
	sent, rtcpRead *counter
	recordings     map[string]*recording // "video", "audio"
	weComplete     bool
	peerComplete   bool
	connectedAt    time.Duration
	errors         []string
	finished       bool
	done           chan bool
}

func (p *peer) post(f func()) { p.loop <- f }

func (p *peer) fail(format string, args ...interface{}) {
	p.errors = append(p.errors, fmt.Sprintf(format, args...))
	p.finish()
}

func (p *peer) received() (video, keyframes, audio int) {
	if r := p.recordings["video"]; r != nil {
		video, keyframes = r.counts()
	}
	if r := p.recordings["audio"]; r != nil {
		audio, _ = r.counts()
	}
	return
}

// finish closes the files, then says `done`.
func (p *peer) finish() {
	if p.finished {
		return
	}
	p.finished = true
	if p.stop != nil {
		close(p.stop)
	}
	for kind, r := range p.recordings {
		if err := r.close(); err != nil {
			p.errors = append(p.errors, fmt.Sprintf("closing the %s file: %v", kind, err))
		}
	}
	video, keyframes, audio := p.received()
	ok := p.weComplete && len(p.errors) == 0
	var files []string
	for _, kind := range []string{"video", "audio"} {
		if r := p.recordings[kind]; r != nil {
			files = append(files, filepath.Base(r.file))
		}
	}
	detail := fmt.Sprintf("connected after %.2f s; received %d VP8 frames (%d keyframes) and %d Opus packets, saved to %s; sent %s; RTCP read from our senders: %s",
		p.connectedAt.Seconds(), video, keyframes, audio, strings.Join(files, " and "), p.sent, p.rtcpRead)
	if !ok && !p.weComplete {
		p.errors = append(p.errors, fmt.Sprintf("only %d VP8 frames and %d Opus packets received (want %d and %d)", video, audio, p.wanted, audioWanted))
	}
	errs := p.errors
	if errs == nil {
		errs = []string{}
	}
	result := map[string]interface{}{"type": "done", "ok": ok, "detail": detail, "errors": errs}
	line, _ := json.Marshal(result)
	logf("done: %s", line)
	signal(result)
	p.done <- ok
}

func (p *peer) checkComplete() {
	if p.finished {
		return
	}
	video, keyframes, audio := p.received()
	if !p.weComplete && video >= p.wanted && keyframes > 0 && audio >= audioWanted {
		p.weComplete = true
		logf("complete: %d VP8 frames, %d Opus packets", video, audio)
		signal(map[string]interface{}{"type": "complete", "videoFrames": video, "keyframes": keyframes, "audioPackets": audio})
	}
}

func (p *peer) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	codec := track.Codec()
	logf("track %s %s (payload type %d, ssrc %d)", track.Kind(), codec.MimeType, track.PayloadType(), track.SSRC())
	var kind, file string
	var writer media.Writer
	var err error
	switch {
	case strings.EqualFold(codec.MimeType, webrtc.MimeTypeVP8):
		kind, file = "video", filepath.Join(p.out, "received.ivf")
		writer, err = ivfwriter.New(file, ivfwriter.WithCodec(webrtc.MimeTypeVP8))
	case strings.EqualFold(codec.MimeType, webrtc.MimeTypeOpus):
		kind, file = "audio", filepath.Join(p.out, "received.ogg")
		writer, err = oggwriter.New(file, codec.ClockRate, 2)
	default:
		p.fail("a track of %s, not VP8 or Opus", codec.MimeType)
		return
	}
	if err != nil {
		p.fail("creating %s: %v", file, err)
		return
	}
	if p.recordings[kind] != nil {
		p.fail("a second %s track", kind)
		return
	}
	r := &recording{writer: writer, file: file}
	p.recordings[kind] = r
	vp8 := kind == "video"
	go func() {
		for {
			packet, _, err := track.ReadRTP()
			if err != nil {
				return
			}
			if err := r.write(packet, vp8); err != nil {
				logf("%s WriteRTP: %v", kind, err)
			}
			p.post(p.checkComplete)
		}
	}()
}

func (p *peer) startPlaying() {
	if p.playing {
		return
	}
	p.playing = true
	p.stop = make(chan struct{})
	go playVideo(p.video, p.videoFrames, p.tick, p.stop, p.sent)
	go playAudio(p.audio, p.audioPackets, p.stop, p.sent)
}

func (p *peer) describe() {
	signal(p.pc.LocalDescription())
	p.described = true
	for _, line := range p.held {
		signal(line)
	}
	p.held = nil
}

func (p *peer) handle(line []byte) error {
	var msg struct {
		Type      string                   `json:"type"`
		SDP       string                   `json:"sdp"`
		OK        *bool                    `json:"ok"`
		Candidate *webrtc.ICECandidateInit `json:"candidate"`
	}
	if err := json.Unmarshal(line, &msg); err != nil {
		logf("bad signalling line %q: %v", line, err)
		return nil
	}
	switch msg.Type {
	case "offer":
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: msg.SDP}); err != nil {
			return fmt.Errorf("SetRemoteDescription(offer): %w", err)
		}
		answer, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("CreateAnswer: %w", err)
		}
		if err := p.pc.SetLocalDescription(answer); err != nil {
			return fmt.Errorf("SetLocalDescription(answer): %w", err)
		}
		p.describe()
	case "answer":
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: msg.SDP}); err != nil {
			return fmt.Errorf("SetRemoteDescription(answer): %w", err)
		}
	case "candidate":
		if msg.Candidate == nil || msg.Candidate.Candidate == "" {
			return nil // Pion takes no end-of-candidates
		}
		if err := p.pc.AddICECandidate(*msg.Candidate); err != nil {
			logf("AddICECandidate(%s): %v", msg.Candidate.Candidate, err)
		}
	case "complete":
		logf("the Rust side is complete: %s", line)
		p.peerComplete = true
	case "done":
		logf("the Rust side is done: %s", line)
		if msg.OK == nil || !*msg.OK {
			p.errors = append(p.errors, "the Rust side failed")
		}
		p.finish()
	default:
		return fmt.Errorf("unexpected signalling line %s", line)
	}
	return nil
}

// newAPI: VP8 and Opus only (so that what each side saves is VP8 in IVF and Opus in Ogg), with
// Pion's default interceptors (NACK, RTCP reports, TWCC), and loopback candidates (the interop
// namespace has only `lo`).
func newAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	videoFeedback := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, registry); err != nil {
		return nil, err
	}
	settings := webrtc.SettingEngine{}
	settings.SetIncludeLoopbackCandidate(true)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(registry), webrtc.WithSettingEngine(settings)), nil
}

func run() (bool, error) {
	offer := flag.Bool("offer", false, "make the offer")
	answer := flag.Bool("answer", false, "answer")
	videoFile := flag.String("video", "", "VP8 IVF file to send, looped")
	audioFile := flag.String("audio", "", "Ogg Opus file to send, looped")
	out := flag.String("out", "", "directory for received.ivf and received.ogg")
	frames := flag.Int("frames", 30, "VP8 frames to receive before `complete`")
	timeout := flag.Float64("timeout", 45, "seconds")
	flag.Parse()
	if *offer == *answer || *videoFile == "" || *audioFile == "" || *out == "" {
		return false, errors.New("usage: pion-media --offer|--answer --video FILE.ivf --audio FILE.ogg --out DIR [--frames N] [--timeout SECONDS]")
	}
	videoFrames, tick, err := ivfFrames(*videoFile)
	if err != nil {
		return false, err
	}
	audioPackets, err := oggOpusPackets(*audioFile)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return false, err
	}
	api, err := newAPI()
	if err != nil {
		return false, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return false, err
	}
	p := &peer{
		offerer:      *offer,
		wanted:       *frames,
		out:          *out,
		pc:           pc,
		loop:         make(chan func(), 4096),
		videoFrames:  videoFrames,
		tick:         tick,
		audioPackets: audioPackets,
		sent:         newCounter(),
		rtcpRead:     newCounter(),
		recordings:   map[string]*recording{},
		done:         make(chan bool, 1),
	}
	logf("playing %d VP8 frames (%v each) and %d Opus packets, looped", len(videoFrames), tick, len(audioPackets))

	p.video, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "pion-video", "pion")
	if err != nil {
		return false, err
	}
	p.audio, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "pion-audio", "pion")
	if err != nil {
		return false, err
	}
	for _, t := range []struct {
		kind  string
		track *webrtc.TrackLocalStaticSample
	}{{"video", p.video}, {"audio", p.audio}} {
		sender, err := pc.AddTrack(t.track)
		if err != nil {
			return false, err
		}
		go readRTCP(t.kind, sender, p.rtcpRead)
	}

	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		p.post(func() {
			var line interface{}
			if c == nil {
				line = map[string]interface{}{"type": "candidate", "candidate": nil}
			} else {
				line = map[string]interface{}{"type": "candidate", "candidate": c.ToJSON()}
			}
			if p.described {
				signal(line)
			} else {
				p.held = append(p.held, line)
			}
		})
	})
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		p.post(func() {
			logf("connection %s", state)
			switch state {
			case webrtc.PeerConnectionStateConnected:
				if p.connectedAt == 0 {
					p.connectedAt = time.Since(start)
				}
				if !p.finished {
					p.startPlaying()
				}
			case webrtc.PeerConnectionStateFailed:
				p.fail("the connection failed")
			}
		})
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		p.post(func() {
			if !p.finished {
				p.onTrack(track, receiver)
			}
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

	if p.offerer {
		desc, err := pc.CreateOffer(nil)
		if err == nil {
			err = pc.SetLocalDescription(desc)
		}
		if err != nil {
			p.fail("offer: %v", err)
		} else {
			p.describe()
		}
	}

	deadline := time.After(time.Duration(*timeout * float64(time.Second)))
	var result *bool
	stdinOpen := true
	for result == nil || stdinOpen {
		var linger <-chan time.Time
		if result != nil {
			// Keep the connection up until the xtask has both results (it ends our stdin).
			linger = time.After(10 * time.Second)
		}
		select {
		case f := <-p.loop:
			f()
		case line, ok := <-lines:
			if !ok {
				stdinOpen = false
				lines = nil
				if !p.finished {
					p.fail("stdin ended before the Rust side said done")
				}
				continue
			}
			if strings.TrimSpace(string(line)) == "" {
				continue
			}
			if err := p.handle(line); err != nil {
				p.fail("%v", err)
			}
		case ok := <-p.done:
			result = &ok
		case <-deadline:
			if !p.finished {
				p.fail("timed out after %.0f s", *timeout)
			}
		case <-linger:
			stdinOpen = false
		}
	}
	_ = pc.Close()
	return *result, nil
}

func main() {
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		signal(map[string]interface{}{"type": "done", "ok": false, "detail": "", "errors": []string{err.Error()}})
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}
