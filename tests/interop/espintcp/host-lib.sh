# Shared by the host-side scripts of the espintcp interop test (sourced).
#
# The kernel and the root file system are cached outside the build tree and
# the repository, in TCPSEC_ESPINTCP_CACHE (default /var/cache/tcpsec-espintcp).
# Their names carry a hash of everything that goes into them, so a second
# run reuses them and a changed input rebuilds them.

ESPINTCP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ESPINTCP_CACHE=${TCPSEC_ESPINTCP_CACHE:-/var/cache/tcpsec-espintcp}

espintcp_log() {
	printf 'espintcp: %s\n' "$*" >&2
}

espintcp_die() {
	espintcp_log "error: $*"
	exit 1
}

# Kernel cache key: the configuration fragment, the build script and the
# version of Debian's linux-source-6.1 package.
espintcp_kernel_key() {
	{
		cat "$ESPINTCP_DIR/kernel.config" "$ESPINTCP_DIR/build-kernel.sh"
		dpkg-query -W -f='${Version}\n' linux-source-6.1 2>/dev/null
	} | sha256sum | cut -c1-16
}

# Root file system cache key: the package list, the build script and the
# init program baked into the image.
espintcp_rootfs_key() {
	cat "$ESPINTCP_DIR/packages.list" "$ESPINTCP_DIR/build-rootfs.sh" \
		"$ESPINTCP_DIR/guest-init" | sha256sum | cut -c1-16
}

# Print the packages of packages.list, one per line, without comments.
espintcp_packages() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ESPINTCP_DIR/packages.list" |
		tr -d '[:blank:]'
}
