-- Wireshark and tshark dissector for IKE and ESP carried over TCP, written
-- for Wireshark 4.0 (Lua 5.2). It decodes two encapsulations:
--
-- 1. RFC 9329 streams. The TCP originator sends the 6-byte prefix "IKETCP"
--    once. After it, every message in either direction is a frame with a
--    16-bit big-endian length that counts itself:
--
--      prefix (originator only):  49 4B 45 54 43 50   "IKETCP"
--      IKE frame:   | length = 6 + n | 00 00 00 00 | IKE message (n bytes) |
--      ESP frame:   | length = 2 + n | ESP packet (n bytes, SPI != 0)      |
--      keepalive:   | 00 03 | FF |        empty frame: | 00 02 |
--
--    Frames may span TCP segments and one segment may carry several
--    frames, so the dissector requests reassembly from TCP
--    (pinfo.desegment_offset and desegment_len). IKE messages go to Wireshark's "isakmp" dissector and
--    ESP packets to "esp", so their decryption tables apply.
--
-- 2. Fortinet-style segments. Each ESP packet travels as the payload of its
--    own TCP segment on the connection's 4-tuple, with a sequence number far
--    outside the stream (tcpsec places it 2^30 behind or 2^31 ahead of the
--    sender's position). Wireshark's TCP dissector flags such a segment as a
--    retransmission and does not pass it to the port's dissector, so a
--    post-dissector finds it instead: on a connection this dissector has
--    seen, a segment whose sequence number lies more than 2^29 bytes from
--    the end of the data seen so far in its direction, and whose payload
--    starts with a non-zero SPI and has at least the 8-byte ESP header,
--    is handed to "esp" whole.
--
-- Use:
--   tshark -X lua_script:tcpsec.lua -r capture.pcap              (port 4500)
--   tshark -X lua_script:tcpsec.lua -d tcp.port==1443,tcpsec -r capture.pcap
--   tshark -X lua_script:tcpsec.lua -o tcpsec.tcp_ports:443,1443 -r ...
-- or copy the file to Wireshark's personal plugins folder. Display filters:
-- "tcpsec", "tcpsec.prefix", "tcpsec.type == 1" (IKE), "tcpsec.type == 2"
-- (ESP in the stream), "tcpsec.segment" (ESP as a separate segment).

local tcpsec = Proto("tcpsec", "IKE and ESP over TCP (tcpsec)")
local segment_finder = Proto("tcpsec_segment", "tcpsec Fortinet-style ESP segments")

local PREFIX = "IKETCP"
local PREFIX_LEN = 6
local LENGTH_FIELD_LEN = 2
local MARKER_LEN = 4
local IKE_HEADER_LEN = 28
local ESP_HEADER_LEN = 8
-- RFC 9329 section 2: TCP port 4500 must be supported.
local DEFAULT_PORTS = "4500"
-- A data segment of the real stream lies at most one TCP window (at most
-- 2^30 bytes with window scaling, usually far less) behind the data seen
-- so far. tcpsec's ESP segments lie at least 2^30 behind or 2^31 ahead.
local SEGMENT_DISTANCE = 0x20000000

local TYPE_INVALID = 0
local TYPE_IKE = 1
local TYPE_ESP = 2
local TYPE_KEEPALIVE = 3
local TYPE_EMPTY = 4
local type_names = {
  [TYPE_INVALID] = "invalid",
  [TYPE_IKE] = "IKE message",
  [TYPE_ESP] = "ESP packet",
  [TYPE_KEEPALIVE] = "NAT-keepalive",
  [TYPE_EMPTY] = "empty frame",
}

local hf = {
  prefix = ProtoField.string("tcpsec.prefix", "Stream prefix"),
  length = ProtoField.uint16("tcpsec.length", "Length", base.DEC),
  type = ProtoField.uint8("tcpsec.type", "Frame type", base.DEC, type_names),
  marker = ProtoField.uint32("tcpsec.non_esp_marker", "Non-ESP marker", base.HEX),
  keepalive = ProtoField.uint8("tcpsec.keepalive", "NAT-keepalive", base.HEX),
  segment = ProtoField.none("tcpsec.segment", "Fortinet-style ESP segment"),
  distance = ProtoField.int32("tcpsec.segment.distance",
                              "Sequence number distance from the stream", base.DEC),
}
tcpsec.fields = {hf.prefix, hf.length, hf.type, hf.marker, hf.keepalive,
                 hf.segment, hf.distance}

local ef = {
  bad_length = ProtoExpert.new("tcpsec.bad_length",
    "Invalid frame length below 2: the rest of the stream cannot be framed",
    expert.group.MALFORMED, expert.severity.ERROR),
  short_frame = ProtoExpert.new("tcpsec.short_frame",
    "Frame too short for an IKE message or an ESP packet",
    expert.group.MALFORMED, expert.severity.WARN),
  keepalive = ProtoExpert.new("tcpsec.keepalive_over_tcp",
    "NAT-keepalive over TCP: RFC 9329 section 6.6 says not to send it",
    expert.group.PROTOCOL, expert.severity.NOTE),
}
tcpsec.experts = {ef.bad_length, ef.short_frame, ef.keepalive}

tcpsec.prefs.tcp_ports = Pref.range("TCP ports", DEFAULT_PORTS,
  "TCP ports that carry RFC 9329 streams (for example 4500,443,1443)", 65535)
tcpsec.prefs.find_segments = Pref.bool("Find Fortinet-style ESP segments", true,
  "Decode TCP segments far outside the stream that start with an SPI as ESP")

local tcp_port_table = DissectorTable.get("tcp.port")
local isakmp = Dissector.get("isakmp")
local esp = Dissector.get("esp")

local f_tcp_stream = Field.new("tcp.stream")
local f_tcp_srcport = Field.new("tcp.srcport")
local f_tcp_dstport = Field.new("tcp.dstport")
local f_tcp_seq_raw = Field.new("tcp.seq_raw")
local f_tcp_ack_raw = Field.new("tcp.ack_raw")
local f_tcp_flags_ack = Field.new("tcp.flags.ack")
local f_tcp_len = Field.new("tcp.len")
local f_tcp_payload = Field.new("tcp.payload")
local f_ip_src = Field.new("ip.src")
local f_ip_dst = Field.new("ip.dst")
local f_ipv6_src = Field.new("ipv6.src")
local f_ipv6_dst = Field.new("ipv6.dst")
-- Flags under which TCP keeps a segment from the port's dissector.
local f_withheld = {
  Field.new("tcp.analysis.retransmission"),
  Field.new("tcp.analysis.spurious_retransmission"),
  Field.new("tcp.analysis.fast_retransmission"),
  Field.new("tcp.analysis.out_of_order"),
}

-- State of the current capture, cleared by init().
local connections = {}  -- tcp.stream index -> true once a stream frame was seen
local position = {}     -- direction -> furthest raw sequence number of the stream
local frame_class = {}  -- frame number -> {segment = bool, distance = number}
local port_called = {}  -- frame number -> true when TCP called tcpsec.dissector
local segment_done = 0  -- frame whose segment the port dissector decoded
local column_frame = 0  -- frame whose Info column contains column_messages
local column_messages = 0

function tcpsec.init()
  connections = {}
  position = {}
  frame_class = {}
  port_called = {}
  segment_done = 0
  column_frame = 0
  column_messages = 0
end

-- Signed difference a - b of two 32-bit sequence numbers.
local function seq_diff(a, b)
  local d = (a - b) % 4294967296
  if d >= 2147483648 then
    d = d - 4294967296
  end
  return d
end

-- The outer TCP header's fields: the first occurrence in the frame, since
-- a decrypted ESP packet may carry TCP of its own. A direction is named by
-- the connection index and the sending address and port.
local function outer_tcp()
  local stream, seq, len = f_tcp_stream(), f_tcp_seq_raw(), f_tcp_len()
  if stream == nil or seq == nil or len == nil then
    return nil
  end
  local src = f_ip_src() or f_ipv6_src()
  local dst = f_ip_dst() or f_ipv6_dst()
  local sport, dport = f_tcp_srcport(), f_tcp_dstport()
  local ack, ack_flag = f_tcp_ack_raw(), f_tcp_flags_ack()
  local prefix = tostring(stream.value) .. "/"
  return {
    stream = stream.value,
    seq = seq.value,
    len = len.value,
    ack = (ack ~= nil and ack_flag ~= nil and ack_flag.value) and ack.value or nil,
    direction = prefix .. tostring(src and src.value) .. "/" .. tostring(sport and sport.value),
    reverse = prefix .. tostring(dst and dst.value) .. "/" .. tostring(dport and dport.value),
  }
end

-- Move a direction's known stream position forward, never back.
local function advance(direction, value)
  local known = position[direction]
  if known == nil or seq_diff(value, known) > 0 then
    position[direction] = value
  end
end

local function starts_with_spi(payload)
  return payload:len() >= ESP_HEADER_LEN and payload(0, 4):uint() ~= 0
end

-- Decide once per frame, in the first pass, whether its TCP payload is a
-- Fortinet-style ESP segment, and keep the result for later passes. A
-- direction's stream position is learnt from the end of its data and from
-- the acknowledgement numbers of the other direction; ESP segments teach
-- nothing, because both their numbers are placed outside the stream.
local function classify(pinfo, payload)
  local known = frame_class[pinfo.number]
  if known ~= nil then
    return known
  end
  local result = {segment = false, distance = 0}
  local tcp = outer_tcp()
  if tcp == nil then
    return result
  end
  local last = position[tcp.direction]
  if tcp.len > 0 and last ~= nil then
    result.distance = seq_diff(tcp.seq, last)
    if math.abs(result.distance) > SEGMENT_DISTANCE and payload ~= nil and
       starts_with_spi(payload) then
      result.segment = true
    end
  end
  if not result.segment then
    advance(tcp.direction, (tcp.seq + tcp.len) % 4294967296)
    if tcp.ack ~= nil then
      advance(tcp.reverse, tcp.ack)
    end
  end
  if not pinfo.visited then
    frame_class[pinfo.number] = result
  end
  return result
end

-- Call isakmp or esp; a malformed message is marked by the called dissector
-- and must not stop the frames after it. The outer addresses are restored
-- afterwards: a decrypted inner packet overwrites them, and the ESP
-- decryption table matches the next ESP packet of the frame against them.
local function call_dissector(dissector, tvb, pinfo, tree)
  local src, dst = pinfo.src, pinfo.dst
  local net_src, net_dst = pinfo.net_src, pinfo.net_dst
  local src_port, dst_port = pinfo.src_port, pinfo.dst_port
  pcall(function() dissector:call(tvb, pinfo, tree) end)
  pinfo.src, pinfo.dst = src, dst
  pinfo.net_src, pinfo.net_dst = net_src, net_dst
  pinfo.src_port, pinfo.dst_port = src_port, dst_port
end

local function dissect_segment(payload, pinfo, tree, distance)
  local item = tree:add(tcpsec, payload())
  item:set_text(string.format("Fortinet-style ESP segment, %d bytes", payload:len()))
  item:add(hf.segment, payload())
  item:add(hf.distance, distance):set_generated()
  pinfo.cols.protocol = "TCPSEC"
  call_dissector(esp, payload, pinfo, tree)
end

-- Separate the Info column texts of several messages in one frame.
local function column_separator(pinfo)
  if column_frame ~= pinfo.number then
    column_frame = pinfo.number
    column_messages = 0
  end
  if column_messages > 0 then
    pinfo.cols.info:append(" | ")
    pinfo.cols.info:fence()
  end
  column_messages = column_messages + 1
end

-- One RFC 9329 frame of `length` bytes at `offset`, all present in tvb.
local function dissect_frame(tvb, offset, length, pinfo, tree)
  local body_len = length - LENGTH_FIELD_LEN
  local body = offset + LENGTH_FIELD_LEN
  local item = tree:add(tcpsec, tvb(offset, length))
  item:add(hf.length, tvb(offset, LENGTH_FIELD_LEN))
  local kind
  if body_len == 0 then
    kind = TYPE_EMPTY
  elseif body_len == 1 and tvb(body, 1):uint() == 0xff then
    kind = TYPE_KEEPALIVE
    item:add(hf.keepalive, tvb(body, 1))
    item:add_proto_expert_info(ef.keepalive)
  elseif body_len >= MARKER_LEN + IKE_HEADER_LEN and tvb(body, MARKER_LEN):uint() == 0 then
    kind = TYPE_IKE
  elseif body_len >= ESP_HEADER_LEN and tvb(body, 4):uint() ~= 0 then
    kind = TYPE_ESP
  else
    kind = TYPE_INVALID
  end
  item:add(hf.type, kind):set_generated()
  item:set_text(string.format("TCP encapsulation (RFC 9329), %s, Length: %d",
                              type_names[kind], length))

  if kind == TYPE_IKE then
    item:add(hf.marker, tvb(body, MARKER_LEN))
    column_separator(pinfo)
    call_dissector(isakmp, tvb(body + MARKER_LEN, body_len - MARKER_LEN):tvb(), pinfo, tree)
  elseif kind == TYPE_ESP then
    column_separator(pinfo)
    call_dissector(esp, tvb(body, body_len):tvb(), pinfo, tree)
  elseif kind == TYPE_INVALID then
    item:add_proto_expert_info(ef.short_frame, string.format(
      "%d-byte frame is neither a NAT-keepalive, an IKE message (at least %d " ..
      "bytes with the marker) nor an ESP packet (at least %d bytes, SPI not 0)",
      body_len, MARKER_LEN + IKE_HEADER_LEN, ESP_HEADER_LEN))
  end
  return kind
end

-- Dissect the prefix and the frames in tvb, which starts on a frame
-- boundary. With `desegment`, ask TCP for the bytes an incomplete prefix or
-- frame at the end still needs; without it, stop there.
local function dissect_stream(tvb, pinfo, tree, desegment)
  local total = tvb:len()
  local offset = 0
  pinfo.cols.protocol = "TCPSEC"
  while offset < total do
    local remaining = total - offset
    local head = tvb(offset, math.min(remaining, PREFIX_LEN)):string()
    local need = 0
    if head == PREFIX:sub(1, #head) then
      -- The prefix, or its beginning. No frame can start with "IK" and be
      -- shorter than 0x494B bytes, so waiting for 6 bytes costs nothing.
      if remaining < PREFIX_LEN then
        need = PREFIX_LEN - remaining
      else
        local item = tree:add(tcpsec, tvb(offset, PREFIX_LEN))
        item:add(hf.prefix, tvb(offset, PREFIX_LEN))
        item:set_text("TCP encapsulation (RFC 9329), stream prefix \"IKETCP\"")
        offset = offset + PREFIX_LEN
      end
    elseif remaining < LENGTH_FIELD_LEN then
      need = DESEGMENT_ONE_MORE_SEGMENT
    else
      local length = tvb(offset, LENGTH_FIELD_LEN):uint()
      if length < LENGTH_FIELD_LEN then
        -- The length counts its own 2 bytes (RFC 9329 section 3), so 0 and
        -- 1 are invalid and no later frame boundary can be found.
        local item = tree:add(tcpsec, tvb(offset, remaining))
        item:add(hf.length, tvb(offset, LENGTH_FIELD_LEN))
        item:add_proto_expert_info(ef.bad_length)
        return total
      elseif remaining < length then
        need = length - remaining
      else
        dissect_frame(tvb, offset, length, pinfo, tree)
        offset = offset + length
      end
    end
    if need ~= 0 then
      if desegment then
        pinfo.desegment_offset = offset
        pinfo.desegment_len = need
      end
      return total
    end
  end
  return total
end

-- TCP hands over the segment's payload, or a reassembled run of payloads
-- that starts on a frame boundary.
function tcpsec.dissector(tvb, pinfo, tree)
  port_called[pinfo.number] = true
  local class = classify(pinfo, tvb)
  if class.segment then
    segment_done = pinfo.number
    dissect_segment(tvb, pinfo, tree, class.distance)
    return tvb:len()
  end
  local tcp = outer_tcp()
  if tcp ~= nil then
    connections[tcp.stream] = true
  end
  return dissect_stream(tvb, pinfo, tree, true)
end

-- True when tvb is a run of whole RFC 9329 frames.
local function whole_frames(tvb)
  local offset, total = 0, tvb:len()
  while offset < total do
    if total - offset < LENGTH_FIELD_LEN then
      return false
    end
    local length = tvb(offset, LENGTH_FIELD_LEN):uint()
    if length < LENGTH_FIELD_LEN or length > total - offset then
      return false
    end
    offset = offset + length
  end
  return true
end

local function withheld_by_tcp()
  for _, field in ipairs(f_withheld) do
    if field() ~= nil then
      return true
    end
  end
  return false
end

-- Runs after every frame: decodes the ESP segments that TCP kept from the
-- port dissector because their sequence numbers lie outside the stream.
function segment_finder.dissector(tvb, pinfo, tree)
  if not tcpsec.prefs.find_segments then
    return
  end
  local stream = f_tcp_stream()
  if stream == nil or not connections[stream.value] then
    return
  end
  local payload_field = f_tcp_payload()
  local payload = payload_field and payload_field.range:tvb()
  local class = classify(pinfo, payload)
  if class.segment then
    if segment_done ~= pinfo.number then
      dissect_segment(payload, pinfo, tree, class.distance)
    end
  elseif payload ~= nil and class.distance == 0 and not port_called[pinfo.number] and
         withheld_by_tcp() and whole_frames(payload) then
    -- New stream data that TCP took for a retransmission: ESP segments
    -- 2^31 ahead make TCP's sequence analysis believe the stream jumped
    -- forward. Only whole frames are decoded, since TCP does not
    -- reassemble what it withholds.
    dissect_stream(payload, pinfo, tree, false)
  end
end

local registered_ports = DEFAULT_PORTS
tcp_port_table:add(registered_ports, tcpsec)
tcp_port_table:add_for_decode_as(tcpsec)
register_postdissector(segment_finder)

function tcpsec.prefs_changed()
  local ports = tcpsec.prefs.tcp_ports
  if ports == registered_ports then
    return
  end
  if registered_ports ~= "" then
    tcp_port_table:remove(registered_ports, tcpsec)
  end
  if ports ~= "" then
    tcp_port_table:add(ports, tcpsec)
  end
  registered_ports = ports
end
