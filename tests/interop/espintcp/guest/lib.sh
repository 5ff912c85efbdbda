# Helpers for the test cases that run inside the espintcp guest (sourced).
#
# Topology, made fresh for every case:
#
#   direct:  west (192.0.2.1) ---- veth ---- east (192.0.2.2)
#   nat:     west (192.168.1.2) -- nat (192.168.1.1 | 192.0.2.1) -- east (192.0.2.2)
#
# The nat namespace masquerades west behind 192.0.2.1 with nftables, so
# packets reach east from the same peer address in both topologies. West's inner network is
# 10.1.0.0/24 (host 10.1.0.1), east's is 10.2.0.0/24 (host 10.2.0.1): on a
# pluto side the inner address sits on a dummy interface, on a tcpsec side
# on the program's TUN device. The guest has no network device, so none of
# these addresses can reach anything outside the guest.

WEST_INNER=10.1.0.1
EAST_INNER=10.2.0.1
WEST_NET=10.1.0.0/24
EAST_NET=10.2.0.0/24
EAST_ADDR=192.0.2.2
TCP_PORT=4500
# Lab key for this test only. Libreswan 4.10 warns when a pre-shared key is
# shorter than its FIPS minimum for the negotiated PRF; this 45-byte key
# draws no such warning in these cases.
PSK=espintcp-interop-lab-key-6f1d93a0c27b48e5a9d1

# Set by topo_up: west's own address (the one its sockets bind).
WEST_ADDR=

# CASE_DIR is exported by run-case.sh: one folder per case on the share.
note() {
	printf '%s %s\n' "$(date +%T)" "$*"
}

# Print the reason for a skipped case where main.sh reads it, and stop.
skip_case() {
	echo "$*" >"$CASE_DIR/skip-reason"
	note "skipped: $*"
	exit 77
}

# Print the reason for a failed case where main.sh reads it, and stop.
fail_case() {
	echo "$*" >"$CASE_DIR/fail-reason"
	note "FAIL: $*"
	exit 1
}

# Run "$@" until it succeeds, every 0.5 s for at most $1 seconds.
wait_for() {
	local limit=$1
	shift
	local deadline=$((SECONDS + limit))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.5
	done
}

# Run a command in a namespace. Commands started in the background use
# `ip netns exec` directly instead, so that $! is the command itself and not
# a subshell that would survive a kill.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# True while process PID runs (a zombie that was not reaped yet is not).
alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat"
}

# Remember a background process so cleanup_case can end it by its id.
track_pid() {
	echo "$1" >>"$CASE_DIR/pids"
}

topo_up() {
	local mode=$1
	local ns
	for ns in west east; do
		ip netns add "$ns"
		in_ns "$ns" ip link set lo up
	done

	if [ "$mode" = direct ]; then
		WEST_ADDR=192.0.2.1
		ip link add west0 netns west type veth peer name east0 netns east
		in_ns west ip addr add "$WEST_ADDR/24" dev west0
		in_ns west ip link set west0 up
		in_ns west ip route add default via "$EAST_ADDR"
	else
		WEST_ADDR=192.168.1.2
		ip netns add nat
		in_ns nat ip link set lo up
		ip link add west0 netns west type veth peer name natw0 netns nat
		ip link add nate0 netns nat type veth peer name east0 netns east
		in_ns west ip addr add "$WEST_ADDR/24" dev west0
		in_ns west ip link set west0 up
		in_ns west ip route add default via 192.168.1.1
		in_ns nat ip addr add 192.168.1.1/24 dev natw0
		in_ns nat ip addr add 192.0.2.1/24 dev nate0
		in_ns nat ip link set natw0 up
		in_ns nat ip link set nate0 up
		in_ns nat sysctl -qw net.ipv4.ip_forward=1
		in_ns nat nft -f - <<-'EOF'
			table ip nat {
				chain postrouting {
					type nat hook postrouting priority srcnat; policy accept;
					oifname "nate0" masquerade
				}
			}
		EOF
	fi

	in_ns east ip addr add "$EAST_ADDR/24" dev east0
	in_ns east ip link set east0 up
	in_ns east ip route add default via 192.0.2.1
	wait_for 5 in_ns west ping -c1 -W1 "$EAST_ADDR" ||
		fail_case "outer path west -> $EAST_ADDR does not work ($mode)"
}

# Put an inner address on a dummy interface (the pluto side of a tunnel).
inner_dummy() {
	local ns=$1 addr=$2
	in_ns "$ns" ip link add inner0 type dummy
	in_ns "$ns" ip addr add "$addr/24" dev inner0
	in_ns "$ns" ip link set inner0 up
}

# ---- Libreswan pluto -------------------------------------------------------

# pluto_start NS: start pluto in namespace NS with the ipsec.conf already
# written to $CASE_DIR/pluto-NS/ipsec.conf. Its NSS database, secrets and
# control socket live in /tmp/pluto-NS; its logs go to the share.
pluto_start() {
	local ns=$1
	local dir=/tmp/pluto-$ns
	local share_dir=$CASE_DIR/pluto-$ns
	rm -rf "$dir"
	mkdir -p "$dir/run" "$dir/nss"
	cp "$share_dir/ipsec.conf" "$dir/ipsec.conf"
	printf '%%any %%any : PSK "%s"\n' "$PSK" >"$dir/ipsec.secrets"
	chmod 600 "$dir/ipsec.secrets"
	ipsec initnss --nssdir "$dir/nss" >"$share_dir/initnss.log" 2>&1 ||
		fail_case "ipsec initnss failed for $ns"

	ip netns exec "$ns" /usr/libexec/ipsec/pluto --nofork --config "$dir/ipsec.conf" \
		--rundir "$dir/run" --nssdir "$dir/nss" \
		--secretsfile "$dir/ipsec.secrets" \
		--logfile "$share_dir/pluto.log" \
		>"$share_dir/pluto.stderr" 2>&1 &
	track_pid $!
	wait_for 30 test -S "$dir/run/pluto.ctl" ||
		fail_case "pluto in $ns did not open its control socket within 30 s"
}

pluto_whack() {
	local ns=$1
	shift
	in_ns "$ns" ipsec whack --rundir "/tmp/pluto-$ns/run" "$@"
}

pluto_add() {
	local ns=$1 conn=$2
	in_ns "$ns" ipsec addconn --config "/tmp/pluto-$ns/ipsec.conf" \
		--ctlsocket "/tmp/pluto-$ns/run/pluto.ctl" "$conn" \
		>>"$CASE_DIR/pluto-$ns/whack.log" 2>&1 ||
		fail_case "ipsec addconn $conn failed in $ns (see pluto-$ns/whack.log)"
}

pluto_initiate() {
	local ns=$1 conn=$2
	timeout 90 ipsec whack --rundir "/tmp/pluto-$ns/run" --name "$conn" \
		--initiate >>"$CASE_DIR/pluto-$ns/whack.log" 2>&1
}

# True when pluto in NS has an established Child SA of connection CONN.
pluto_has_child() {
	pluto_whack "$1" --trafficstatus 2>/dev/null | grep -q "\"$2\""
}

pluto_snapshot() {
	local ns=$1 label=$2
	{
		echo "== $label: showstates"
		pluto_whack "$ns" --showstates
		echo "== $label: trafficstatus"
		pluto_whack "$ns" --trafficstatus
		echo "== $label: ip xfrm state"
		in_ns "$ns" ip xfrm state
		echo "== $label: ip xfrm policy"
		in_ns "$ns" ip xfrm policy
		echo "== $label: ss -tn"
		in_ns "$ns" ss -tn
	} >>"$CASE_DIR/pluto-$ns/snapshots.txt" 2>&1
}

# The state number (such as #1) of pluto's newest established IKE SA in NS.
pluto_ike_serial() {
	pluto_whack "$1" --showstates 2>/dev/null |
		awk '/STATE_V2_ESTABLISHED_IKE_SA/ { serial = $2 } END { sub(":", "", serial); print serial }'
}

# pluto_conf NS ROLE LOCAL LOCALNET REMOTE REMOTENET [EXTRA...]
# Write ipsec.conf for connection "peer". ROLE is initiator or responder;
# a responder accepts any peer address (the peer may be behind the NAT).
# EXTRA lines are added to the conn section as they are.
pluto_conf() {
	local ns=$1 role=$2 local_addr=$3 local_net=$4 remote=$5 remote_net=$6
	shift 6
	local dir=$CASE_DIR/pluto-$ns
	mkdir -p "$dir"
	[ "$role" = responder ] && remote=%any
	{
		echo "config setup"
		echo "	listen-tcp=yes"
		echo "	logtime=yes"
		echo "	plutodebug=${PLUTO_DEBUG:-none}"
		echo
		echo "conn peer"
		echo "	ikev2=yes"
		echo "	authby=secret"
		echo "	type=tunnel"
		echo "	left=$local_addr"
		echo "	leftsubnet=$local_net"
		echo "	right=$remote"
		echo "	rightsubnet=$remote_net"
		echo "	enable-tcp=yes"
		echo "	tcp-remoteport=$TCP_PORT"
		echo "	auto=add"
		local line
		for line in "$@"; do
			echo "	$line"
		done
	} >"$dir/ipsec.conf"
}

# ---- tcpsec's programs ----------------------------------------------------

TCPSEC_BIN=${SHARE:-/mnt/share}/bin

tcpsec_available() {
	[ -x "$TCPSEC_BIN/tcpsec-spoke" ] && [ -x "$TCPSEC_BIN/tcpsec-hub" ]
}

require_tcpsec() {
	tcpsec_available ||
		skip_case "tcpsec-hub and tcpsec-spoke were not built on the host"
}

# tcpsec_conf NS ROLE FILE LOCAL LOCALNET LOCALINNER REMOTE REMOTENET [P1 [P2]]
# Write a tcpsec configuration for tunnel "peer": ROLE spoke (static,
# initiator) or hub (dynamic, responder); RFC 9329 stream over TCP port
# $TCP_PORT. P1 and P2 are phase1 and phase2 proposal lists.
tcpsec_conf() {
	local ns=$1 role=$2 file=$3 local_addr=$4 local_net=$5 local_inner=$6
	local remote=$7 remote_net=$8
	local p1=${9:-aes128-sha256 aes128gcm-prfsha256 aes256gcm-prfsha384 chacha20poly1305-prfsha256}
	local p2=${10:-aes128-sha256 aes128gcm aes256gcm chacha20poly1305}
	{
		echo "config system settings"
		echo "    set ike-tcp-service enable"
		echo "    set ike-tcp-port $TCP_PORT"
		echo "end"
		echo "config vpn ipsec phase1-interface"
		echo "    edit \"peer\""
		if [ "$role" = hub ]; then
			echo "        set type dynamic"
		else
			echo "        set remote-gw $remote"
		fi
		echo "        set local-gw $local_addr"
		echo "        set proposal $p1"
		echo "        set dhgrp 19 20 21 14 31"
		echo "        set transport tcp"
		echo "        set fortinet-esp disable"
		echo "        set dpd on-idle"
		echo "        set dpd-retryinterval ${TCPSEC_DPD_INTERVAL:-10}"
		echo "        set dpd-retrycount 3"
		echo "        set psksecret \"$PSK\""
		echo "    next"
		echo "end"
		echo "config vpn ipsec phase2-interface"
		echo "    edit \"peer\""
		echo "        set phase1name \"peer\""
		echo "        set proposal $p2"
		echo "        set src-subnet $local_net"
		echo "        set dst-subnet $remote_net"
		# TCPSEC_PFS=disable: Child SA rekeys without a key exchange.
		[ -n "${TCPSEC_PFS:-}" ] && echo "        set pfs $TCPSEC_PFS"
		echo "    next"
		echo "end"
		echo "config tcpsec system"
		echo "    set control-socket \"/run/tcpsec-$ns.sock\""
		echo "end"
		echo "config tcpsec tunnel"
		echo "    edit \"peer\""
		echo "        set tun-name \"tcpsec0\""
		echo "        set tunnel-address $local_inner/24"
		echo "        set routes $remote_net"
		# TCPSEC_CHILD_REKEY / TCPSEC_IKE_REKEY: soft lifetimes in seconds,
		# so that tcpsec starts the rekeys during a case.
		[ -n "${TCPSEC_CHILD_REKEY:-}" ] && echo "        set child-rekey $TCPSEC_CHILD_REKEY"
		[ -n "${TCPSEC_IKE_REKEY:-}" ] && echo "        set ike-rekey $TCPSEC_IKE_REKEY"
		[ -n "${TCPSEC_CHILD_REKEY:-}${TCPSEC_IKE_REKEY:-}" ] && echo "        set rekey-jitter 0"
		echo "    next"
		echo "end"
	} >"$file"
}

# tcpsec_start NS ROLE CONF: run tcpsec-ROLE in NS from the share, with a
# key log for the decoders and its log on the share.
tcpsec_start() {
	local ns=$1 role=$2 conf=$3
	ip netns exec "$ns" env LD_LIBRARY_PATH="$TCPSEC_BIN" \
		"$TCPSEC_BIN/tcpsec-$role" -c "$conf" -l debug \
		-k "$CASE_DIR/keylog-$ns.txt" \
		>"$CASE_DIR/tcpsec-$ns.log" 2>&1 &
	track_pid $!
	echo $! >"$CASE_DIR/tcpsec-$ns.pid"
	sleep 1
	alive "$(cat "$CASE_DIR/tcpsec-$ns.pid")" ||
		fail_case "tcpsec-$role in $ns exited at start (see tcpsec-$ns.log)"
}

# tcpsec_status NS CONF: print the daemon's FortiOS-style status and append
# it to status-NS.txt in the case folder.
tcpsec_status() {
	local ns=$1 conf=$2
	in_ns "$ns" env LD_LIBRARY_PATH="$TCPSEC_BIN" \
		"$TCPSEC_BIN/tcpsec-$(tcpsec_role "$ns")" -c "$conf" status 2>&1 |
		tee -a "$CASE_DIR/status-$ns.txt"
}

tcpsec_role() {
	cat "$CASE_DIR/tcpsec-$1.role"
}

# Stop tcpsec in NS with SIGTERM (it sends Deletes); after 15 s it gets
# SIGKILL and this returns failure.
tcpsec_stop() {
	local ns=$1
	local pid watchdog
	pid=$(cat "$CASE_DIR/tcpsec-$ns.pid")
	kill -TERM "$pid" 2>/dev/null || return 0
	(
		sleep 15
		kill -KILL "$pid" 2>/dev/null && : >"$CASE_DIR/tcpsec-$ns.killed"
	) &
	watchdog=$!
	wait "$pid" 2>/dev/null
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	[ ! -e "$CASE_DIR/tcpsec-$ns.killed" ]
}

# ---- traffic ----------------------------------------------------------------

# ping_through NS SRC DST [COUNT]: at least COUNT-1 of COUNT echo replies.
ping_through() {
	local ns=$1 src=$2 dst=$3 count=${4:-5}
	local out received
	out=$(in_ns "$ns" ping -n -c "$count" -i 0.3 -W 2 -I "$src" "$dst" 2>&1)
	echo "$out" >>"$CASE_DIR/ping.log"
	received=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	[ "${received:-0}" -ge $((count - 1)) ]
}

# Wait up to LIMIT seconds for a first echo reply through the tunnel.
wait_ping() {
	local limit=$1 ns=$2 src=$3 dst=$4
	wait_for "$limit" in_ns "$ns" ping -n -c1 -W1 -I "$src" "$dst"
}

# Sum of the bytes counted by all ESP states of NS (inbound and outbound).
xfrm_bytes() {
	in_ns "$1" ip -s xfrm state |
		sed -n 's/^[[:space:]]*\([0-9]*\)(bytes).*/\1/p' |
		awk '{ sum += $1 } END { print sum + 0 }'
}

# bulk_through SERVER_NS SERVER_ADDR CLIENT_NS CLIENT_ADDR BYTES PLUTO_NS:
# send BYTES through the tunnel over TCP and compare the SHA-256 of what was
# sent and received. PLUTO_NS's ESP states must count at least BYTES more,
# which proves that the transfer went through ESP.
bulk_through() {
	local server_ns=$1 server_addr=$2 client_ns=$3 client_addr=$4 bytes=$5
	local pluto_ns=$6
	local port=5201 started esp_before esp_after
	rm -f "$CASE_DIR/bulk-server.txt" "$CASE_DIR/bulk-client.txt"
	esp_before=$(xfrm_bytes "$pluto_ns")
	ip netns exec "$server_ns" timeout 120 python3 "$GUEST_DIR/bulk.py" serve \
		"$server_addr" "$port" >"$CASE_DIR/bulk-server.txt" 2>&1 &
	local server=$!
	track_pid "$server"
	sleep 1
	started=$SECONDS
	in_ns "$client_ns" timeout 120 python3 "$GUEST_DIR/bulk.py" send \
		"$server_addr" "$port" "$bytes" "$client_addr" \
		>"$CASE_DIR/bulk-client.txt" 2>&1
	local client_rc=$?
	wait "$server"
	local server_rc=$?
	esp_after=$(xfrm_bytes "$pluto_ns")
	note "bulk $client_addr -> $server_addr: $bytes bytes in $((SECONDS - started)) s; client rc $client_rc, server rc $server_rc"
	note "bulk: sent $(cat "$CASE_DIR/bulk-client.txt"), received $(cat "$CASE_DIR/bulk-server.txt")"
	note "bulk: ESP states in $pluto_ns counted $((esp_after - esp_before)) bytes"
	[ "$client_rc" -eq 0 ] && [ "$server_rc" -eq 0 ] &&
		cmp -s "$CASE_DIR/bulk-client.txt" "$CASE_DIR/bulk-server.txt" &&
		[ $((esp_after - esp_before)) -ge "$bytes" ]
}

# ---- captures ----------------------------------------------------------------

# capture_start NS IFACE NAME: tcpdump of TCP port $TCP_PORT into
# NAME.pcap, written to /tmp and moved to the share once tcpdump has exited.
capture_start() {
	local ns=$1 iface=$2 name=$3
	ip netns exec "$ns" tcpdump -i "$iface" -n -s 0 -B 65536 --immediate-mode -U \
		-w "/tmp/capture-$name.pcap" "tcp port $TCP_PORT" >"$CASE_DIR/$name.tcpdump.log" 2>&1 &
	echo $! >"$CASE_DIR/$name.capture-pid"
	track_pid $!
	wait_for 10 grep -q "listening on" "$CASE_DIR/$name.tcpdump.log"
}

# capture_stop NAME: stop tcpdump and move the capture to the share.
# main.sh copies the capture of a case that stops before this.
capture_stop() {
	local name=$1
	local pid
	pid=$(cat "$CASE_DIR/$name.capture-pid")
	sleep 1
	kill -TERM "$pid" 2>/dev/null
	# tcpdump is a child of this shell: wait reaps it once it has flushed
	# the file (kill -0 would still find the zombie).
	wait "$pid" 2>/dev/null
	mv "/tmp/capture-$name.pcap" "$CASE_DIR/$name.pcap"
}

# Number of TCP connections opened towards port $TCP_PORT so far in the
# running capture NAME (SYN segments without ACK).
capture_syns() {
	tcpdump -n -r "/tmp/capture-$1.pcap" \
		"tcp dst port $TCP_PORT and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" \
		2>/dev/null | wc -l
}

# ---- checks ------------------------------------------------------------------

# True when NS has a kernel ESP state encapsulated in TCP (espintcp).
xfrm_espintcp() {
	in_ns "$1" ip xfrm state | grep -q "encap type espintcp"
}

# The SPIs of NS's kernel ESP states, sorted, on one line.
esp_spis() {
	in_ns "$1" ip xfrm state | awk '$3 == "spi" {print $4}' | sort | paste -sd' ' -
}

# The local and peer address:port of NS's established TCP connection to or
# from port $TCP_PORT, or nothing.
ike_tcp_port() {
	in_ns "$1" ss -Htn state established "( sport = :$TCP_PORT or dport = :$TCP_PORT )" |
		awk '{print $3 "-" $4}' | head -n1
}
