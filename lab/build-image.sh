#!/usr/bin/env bash
# Build the lab's BIND image from Debian packages (no registry): debootstrap, then `podman import`.
#   lab/build-image.sh [SUITE] [TAG]     default: bookworm -> localhost/dnsops-tkey-bind:bookworm-systemd (BIND 9.18)
#                                        trixie gives BIND 9.20, used to test that the primary role refuses it.
# systemd runs as PID 1 in the containers (podman run --systemd=always IMAGE /sbin/init), so named.service,
# the renewal agent's timer and enable-at-boot are real.
# Skips the build when the image exists; FORCE=1 rebuilds.
set -euo pipefail
suite="${1:-bookworm}"
image="${2:-localhost/dnsops-tkey-bind:$suite-systemd}"
mirror="${MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
if [ -z "${FORCE:-}" ] && podman image exists "$image"; then
    echo "image $image exists (FORCE=1 rebuilds)"
    exit 0
fi
work="$(mktemp -d /var/tmp/dnsops-tkey-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# python3-apt serves ansible.builtin.apt. python3-cffi-backend is named explicitly: debootstrap does not resolve the virtual packages
# python3-cryptography depends on (python3-cffi-backend-api-min/max).
packages=bind9,bind9-utils,bind9-dnsutils,python3,python3-apt,python3-dnspython,python3-cryptography,python3-cffi-backend,procps,iproute2,systemd,systemd-sysv,dbus
echo "debootstrap $suite from $mirror ..."
debootstrap --variant=minbase --include="$packages" "$suite" "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log"; exit 1; }
# Every container would share bind9's postinst rndc key: drop it, the roles make one per server.
rm -f "$work/rootfs/etc/bind/rndc.key"
# named does not start at boot until a role configured it (Debian's default named.conf recurses), and units that
# need hardware or a network outside the lab stay off.
rm -f "$work/rootfs/etc/systemd/system/multi-user.target.wants/named.service"
for unit in systemd-networkd.service systemd-resolved.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
            getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$work/rootfs/etc/systemd/system/$unit"
done
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
podman import --change 'CMD ["/sbin/init"]' "$work/rootfs.tar" "$image" > /dev/null
echo "built $image: $(podman run --rm --runtime runc --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$image" named -v)"
