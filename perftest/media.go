package perftest

import (
	"strings"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// This file converts the streaming packets (protocol_type 7, HLS or RTMP,
// and 10, HTTP-FLV) and perfcase's MQTT packet (protocol_type 9003) both
// ways.

// streamPacket reads a streaming packet: code 7 is RTMP when rtmp_url is
// given (or url is rtmp://), HLS from url otherwise; code 10 is HTTP-FLV
// from flv_url, or url.
func (im *importer) streamPacket(ci *ContentInfo, ext *RequestExt, path string) (scenario.Protocol, *scenario.StreamRequest) {
	s := &scenario.StreamRequest{TLSVerify: true}
	proto := scenario.FLV
	urlField := "flv_url"
	switch {
	case ci.ProtocolType == 10:
		s.URL = ci.FLVURL
		if s.URL == "" && ci.URL != "" {
			s.URL, urlField = ci.URL, "url"
		}
		if ci.RTMPURL != "" {
			im.errorf(path+".rtmp_url", "an HTTP-FLV request (protocol_type 10) plays flv_url; remove rtmp_url", "rtmp_url on an HTTP-FLV request")
		}
	case ci.RTMPURL != "" || strings.HasPrefix(ci.URL, "rtmp://"):
		proto, urlField, s.URL = scenario.RTMP, "rtmp_url", ci.RTMPURL
		if s.URL == "" {
			s.URL, urlField = ci.URL, "url"
		} else if ci.URL != "" {
			im.errorf(path+".url", "an HLS request gives url, an RTMP request rtmp_url: keep one", "protocol_type 7 with both url and rtmp_url")
		}
	default:
		proto, urlField, s.URL = scenario.HLS, "url", ci.URL
	}
	if s.URL == "" {
		want := map[scenario.Protocol]string{scenario.HLS: "url (HLS) or rtmp_url (RTMP)", scenario.FLV: "flv_url"}[proto]
		im.errorf(path+"."+urlField, "give the stream's URL", "the %s request has no %s", protocolTypes[ci.ProtocolType], want)
	}
	if ci.ProtocolType == 7 && ci.FLVURL != "" {
		im.errorf(path+".flv_url", "an HTTP-FLV request is protocol_type 10", "flv_url on an HLS/RTMP request (protocol_type 7)")
	}
	s.Duration = im.seconds(path+".duration", ci.Duration)
	if s.Duration == 0 {
		im.errorf(path+".duration", "give the play's length in seconds, e.g. \"duration\": 60", "a streaming request needs a duration")
	}
	s.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
	s.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	hlsOnly := map[string]bool{"bitrate_type": ci.BitrateType != 0, "retry_delay": ci.RetryDelay != 0, "retry_time": ci.RetryTime != 0}
	if proto == scenario.HLS {
		if ci.BitrateType < 0 || ci.BitrateType >= len(scenario.VariantNames) {
			im.unknownCode(path+".bitrate_type", ci.BitrateType, bitrateTypes)
		} else {
			s.Variant = scenario.Variant(ci.BitrateType)
		}
		s.RetryDelay = im.millis(path+".retry_delay", ci.RetryDelay)
		if ci.RetryTime < 0 {
			im.errorf(path+".retry_time", "give a count, 0 or more", "must not be negative, got %d", ci.RetryTime)
		}
		s.Retries = max(ci.RetryTime, 0)
	} else {
		// The UI leaves its defaults in fields a protocol does not read.
		for _, field := range []string{"bitrate_type", "retry_delay", "retry_time"} {
			if hlsOnly[field] {
				im.notef(path+"."+field, "", "ignored: %s requests do not read %s, an HLS field", proto.Title(), field)
			}
		}
	}
	s.Publish = ext.Publish
	s.StallAfter = im.millis(path+".perfcase.stall_after", ext.StallAfter)
	if ext.TLSVerify != nil {
		s.TLSVerify = *ext.TLSVerify
	}
	return proto, s
}

// bitrateTypes are the codes of bitrate_type.
var bitrateTypes = codeSet{0: "the first variant", 1: "the highest bandwidth", 2: "the lowest bandwidth"}

// markStream places a streaming packet's values.
func (im *importer) markStream(r *scenario.Request, path string) {
	url := "url"
	switch {
	case r.Protocol == scenario.FLV && r.Stream.URL != "" && im.idxHas(path+".flv_url"):
		url = "flv_url"
	case r.Protocol == scenario.RTMP && im.idxHas(path+".rtmp_url"):
		url = "rtmp_url"
	}
	for key, field := range map[string]string{"url": url, "duration": "duration", "variant": "bitrate_type", "retry_delay": "retry_delay",
		"retries": "retry_time", "publish": "perfcase.publish", "stall_after": "perfcase.stall_after"} {
		im.mark(r, key, path+"."+field)
	}
}

// idxHas reports whether the document has a value at path.
func (im *importer) idxHas(path string) bool {
	_, ok := im.idx.At(path)
	return ok
}

// mqttPacket reads perfcase's MQTT packet: the broker in url, the rest
// under perfcase.mqtt.
func (im *importer) mqttPacket(ci *ContentInfo, ext *RequestExt, path string) *scenario.MQTTRequest {
	q := &scenario.MQTTRequest{Broker: ci.URL, CleanSession: true, TLSVerify: true}
	q.ConnectTimeout = im.millis(path+".connect_timeout", ci.ConnectTimeout)
	q.Timeout = im.millis(path+".return_timeout", ci.ReturnTimeout)
	if ext.TLSVerify != nil {
		q.TLSVerify = *ext.TLSVerify
	}
	mp := path + ".perfcase.mqtt"
	m := ext.MQTT
	if m == nil {
		im.errorf(path+".perfcase", "give the action under perfcase.mqtt, e.g. {\"action\": \"connect\"}", "an MQTT request (protocol_type 9003) needs perfcase.mqtt")
		return q
	}
	q.ClientID, q.Username, q.Password = m.ClientID, m.Username, m.Password
	if m.CleanSession != nil {
		q.CleanSession = *m.CleanSession
	}
	q.KeepAlive = im.millis(mp+".keep_alive", m.KeepAlive)
	if m.Will != nil {
		q.Will = mqttMessageFromPT(m.Will)
	}
	q.CA, q.Cert, q.Key = m.CA, m.Cert, m.Key
	a := &q.Action
	a.Kind = m.Action
	switch m.Action {
	case scenario.MQTTConnect, scenario.MQTTDisconnect:
	case scenario.MQTTPublish:
		if m.Publish == nil {
			im.errorf(mp+".action", "give the message as publish: {\"topic\": \"t\", \"payload\": \"x\"}", "publish needs publish")
			a.Publish = &scenario.MQTTMessage{}
		} else {
			a.Publish = mqttMessageFromPT(m.Publish)
		}
	case scenario.MQTTSubscribe, scenario.MQTTUnsubscribe:
		if len(m.Filters) == 0 {
			im.errorf(mp+".filters", "list the topic filters: [{\"topic\": \"t/#\", \"qos\": 1}]", "%s needs filters", m.Action)
		}
		for _, f := range m.Filters {
			mf := scenario.MQTTFilter{Topic: f.Topic, QoS: f.QoS}
			if m.Action == scenario.MQTTSubscribe {
				a.Filters = append(a.Filters, mf)
			} else {
				a.Topics = append(a.Topics, scenario.MQTTFilter{Topic: f.Topic})
			}
		}
	case scenario.MQTTReceive:
		a.Count, a.Max, a.Timeout = m.Count, m.Max, im.millis(mp+".timeout", m.Timeout)
		if m.Until != nil {
			a.Until = &scenario.Expr{Source: *m.Until}
		} else if a.Count == 0 {
			a.Count = 1
		}
	default:
		im.errorf(mp+".action", "use one of: connect, publish, subscribe, receive, unsubscribe, disconnect", "unknown action %q", m.Action)
	}
	return q
}

func mqttMessageFromPT(m *MQTTMessage) *scenario.MQTTMessage {
	return &scenario.MQTTMessage{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain}
}

// markMQTT places an MQTT packet's values.
func (im *importer) markMQTT(r *scenario.Request, path string) {
	mp := path + ".perfcase.mqtt"
	im.mark(r, "broker", path+".url")
	for _, key := range []string{"client_id", "username", "password", "clean_session", "keep_alive", "will", "ca", "cert", "key"} {
		im.mark(r, key, mp+"."+key)
	}
	im.mark(r, "tls_verify", path+".perfcase.tls_verify")
	if a := r.MQTT.Action.Kind; a != "" {
		im.mark(r, a, mp+".action")
	}
}

// streamPacket writes a streaming step: HLS and RTMP as code 7, HTTP-FLV
// as code 10, the play's duration in whole seconds.
func (ex *exporter) streamPacket(ci *ContentInfo, ext *RequestExt, r *scenario.Request, pos scenario.Pos) {
	s := r.Stream
	switch r.Protocol {
	case scenario.HLS:
		ci.ProtocolType, ci.URL = 7, s.URL
		ci.BitrateType, ci.RetryTime = int(s.Variant), s.Retries
		ci.RetryDelay = ex.ms(s.RetryDelay, pos, "retry_delay")
	case scenario.RTMP:
		ci.ProtocolType, ci.RTMPURL = 7, s.URL
	case scenario.FLV:
		ci.ProtocolType, ci.FLVURL = 10, s.URL
	}
	if s.Duration%time.Second != 0 {
		ex.errorf(pos, "round it to whole seconds", "duration %v is not a whole number of seconds, which PerfTest's duration holds", s.Duration)
	}
	ci.Duration = int64(s.Duration / time.Second)
	ci.ConnectTimeout, ci.ReturnTimeout = ex.ms(s.ConnectTimeout, pos, "connect_timeout"), ex.ms(s.Timeout, pos, "timeout")
	ext.Publish = s.Publish
	ext.StallAfter = ex.ms(s.StallAfter, pos, "stall_after")
	if !s.TLSVerify {
		ext.TLSVerify = new(bool)
	}
}

// mqttPacket writes an mqtt step as perfcase's protocol_type 9003: the
// broker in url, the rest under perfcase.mqtt.
func (ex *exporter) mqttPacket(ci *ContentInfo, ext *RequestExt, r *scenario.Request, pos scenario.Pos) {
	q := r.MQTT
	ci.ProtocolType, ci.URL = protocolMQTT, q.Broker
	ci.ConnectTimeout, ci.ReturnTimeout = ex.ms(q.ConnectTimeout, pos, "connect_timeout"), ex.ms(q.Timeout, pos, "timeout")
	if !q.TLSVerify {
		ext.TLSVerify = new(bool)
	}
	m := &MQTTExt{ClientID: q.ClientID, Username: q.Username, Password: q.Password, KeepAlive: ex.ms(q.KeepAlive, pos, "keep_alive"),
		CA: q.CA, Cert: q.Cert, Key: q.Key, Action: q.Action.Kind}
	if !q.CleanSession {
		m.CleanSession = new(bool)
	}
	if q.Will != nil {
		m.Will = mqttMessageToPT(q.Will)
	}
	a := &q.Action
	switch a.Kind {
	case scenario.MQTTPublish:
		m.Publish = mqttMessageToPT(a.Publish)
	case scenario.MQTTSubscribe:
		for _, f := range a.Filters {
			m.Filters = append(m.Filters, MQTTFilter{Topic: f.Topic, QoS: f.QoS})
		}
	case scenario.MQTTUnsubscribe:
		for _, f := range a.Topics {
			m.Filters = append(m.Filters, MQTTFilter{Topic: f.Topic})
		}
	case scenario.MQTTReceive:
		m.Count, m.Max, m.Timeout = a.Count, a.Max, ex.ms(a.Timeout, pos, "receive timeout")
		if a.Until != nil {
			m.Until = &a.Until.Source
		}
	}
	ext.MQTT = m
}

func mqttMessageToPT(m *scenario.MQTTMessage) *MQTTMessage {
	return &MQTTMessage{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain}
}
