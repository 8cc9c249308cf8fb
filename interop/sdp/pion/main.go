// Pion's SDPs for `cargo xtask interop sdp`, built from Debian's Go sources in GOPATH mode
// (see the xtask).
//
// Command line: `offers` prints Pion's own offers; each `LABEL=FILE` answers the offer in FILE
// and prints the answer as `answer-to-LABEL`. Each SDP is one JSON line on stdout:
// {"name": "offer-av-data", "type": "offer", "sdp": "v=0\r\n..."}; a capture that failed is
// {"name": ..., "type": ..., "error": "..."} (as interop/sdp/common.js for the Node peers).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"
)

const timeout = 10 * time.Second

var open []*webrtc.PeerConnection

// newPeerConnection makes a peer connection with Pion's default codecs and interceptors, plus
// the MID and RID header extensions for video that simulcast needs (as Pion's simulcast
// examples do) when simulcast is set.
func newPeerConnection(simulcast bool) (*webrtc.PeerConnection, error) {
	media := &webrtc.MediaEngine{}
	if err := media.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	if simulcast {
		for _, uri := range []string{
			"urn:ietf:params:rtp-hdrext:sdes:mid",
			"urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
			"urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
		} {
			capability := webrtc.RTPHeaderExtensionCapability{URI: uri}
			if err := media.RegisterHeaderExtension(capability, webrtc.RTPCodecTypeVideo); err != nil {
				return nil, err
			}
		}
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(media, registry); err != nil {
		return nil, err
	}
	// The interop namespace has only a loopback interface.
	settings := webrtc.SettingEngine{}
	settings.SetIncludeLoopbackCandidate(true)
	api := webrtc.NewAPI(
		webrtc.WithMediaEngine(media),
		webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings),
	)
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err == nil {
		open = append(open, pc)
	}
	return pc, err
}

// localSdp sets the local description and waits for ICE gathering to complete, so the SDP
// carries the candidates.
func localSdp(pc *webrtc.PeerConnection, desc webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-time.After(timeout):
		return "", errors.New("ICE gathering did not complete")
	}
	return pc.LocalDescription().SDP, nil
}

func audioVideoTracks() (webrtc.TrackLocal, webrtc.TrackLocal, error) {
	audio, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "pion")
	if err != nil {
		return nil, nil, err
	}
	video, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
	return audio, video, err
}

func offerAvData() (string, error) {
	pc, err := newPeerConnection(false)
	if err != nil {
		return "", err
	}
	audio, video, err := audioVideoTracks()
	if err != nil {
		return "", err
	}
	for _, track := range []webrtc.TrackLocal{audio, video} {
		if _, err = pc.AddTrack(track); err != nil {
			return "", err
		}
	}
	if _, err = pc.CreateDataChannel("data", nil); err != nil {
		return "", err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	return localSdp(pc, offer)
}

// offerSimulcast sends VP8 video as three RTP streams (RIDs hi, mid, lo).
func offerSimulcast() (string, error) {
	pc, err := newPeerConnection(true)
	if err != nil {
		return "", err
	}
	var sender *webrtc.RTPSender
	for _, rid := range []string{"hi", "mid", "lo"} {
		track, err := webrtc.NewTrackLocalStaticRTP(
			webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion-simulcast",
			webrtc.WithRTPStreamID(rid))
		if err != nil {
			return "", err
		}
		if sender == nil {
			transceiver, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{
				Direction: webrtc.RTPTransceiverDirectionSendonly,
			})
			if err != nil {
				return "", err
			}
			sender = transceiver.Sender()
		} else if err = sender.AddEncoding(track); err != nil {
			return "", err
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	return localSdp(pc, offer)
}

// offeredDirections maps each m-section's mid to its direction attribute in an offer
// (sendrecv when it has none).
func offeredDirections(sdp string) map[string]string {
	directions := map[string]string{}
	mid, direction, inMedia := "", "sendrecv", false
	flush := func() {
		if inMedia {
			directions[mid] = direction
		}
	}
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "m="):
			flush()
			mid, direction, inMedia = "", "sendrecv", true
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case line == "a=sendrecv" || line == "a=sendonly" || line == "a=recvonly" || line == "a=inactive":
			direction = strings.TrimPrefix(line, "a=")
		}
	}
	flush()
	return directions
}

// answer answers an offer, sending a track on every audio and video transceiver whose offer
// can receive.
func answer(sdp string) (string, error) {
	pc, err := newPeerConnection(strings.Contains(sdp, "\na=simulcast:"))
	if err != nil {
		return "", err
	}
	err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp})
	if err != nil {
		return "", err
	}
	offered := offeredDirections(sdp)
	for _, transceiver := range pc.GetTransceivers() {
		if d := offered[transceiver.Mid()]; d != "sendrecv" && d != "recvonly" {
			continue
		}
		audio, video, err := audioVideoTracks()
		if err != nil {
			return "", err
		}
		track := audio
		if transceiver.Kind() == webrtc.RTPCodecTypeVideo {
			track = video
		}
		if _, err = pc.AddTrack(track); err != nil {
			return "", err
		}
	}
	desc, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	return localSdp(pc, desc)
}

func emit(record map[string]string) {
	line, _ := json.Marshal(record)
	fmt.Println(string(line))
}

func capture(name, kind string, produce func() (string, error)) {
	sdp, err := produce()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		emit(map[string]string{"name": name, "type": kind, "error": err.Error()})
		return
	}
	emit(map[string]string{"name": name, "type": kind, "sdp": sdp})
}

func main() {
	offers := false
	type job struct{ label, sdp string }
	var answers []job
	for _, arg := range os.Args[1:] {
		if arg == "offers" {
			offers = true
			continue
		}
		label, path, ok := strings.Cut(arg, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "usage: pion [offers] [LABEL=OFFER_FILE ...], got %s\n", arg)
			os.Exit(2)
		}
		sdp, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		answers = append(answers, job{label, string(sdp)})
	}
	if offers {
		capture("offer-av-data", "offer", offerAvData)
		capture("offer-simulcast", "offer", offerSimulcast)
	}
	for _, a := range answers {
		capture("answer-to-"+a.label, "answer", func() (string, error) { return answer(a.sdp) })
	}
	for _, pc := range open {
		_ = pc.Close()
	}
}
