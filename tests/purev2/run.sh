#!/usr/bin/env bash
# Proof on a real pure cgroup v2 kernel: boots a Debian cloud kernel under QEMU (software emulation,
# no KVM needed) with an initramfs holding busybox, the NativeAOT processmaster, pmctl and
# processmaster-exec (with the libraries they load) and a scenario (guest/init) that checks limits
# (CPU, memory, pids, and I/O on a virtio disk), tracking and shutdown on /sys/fs/cgroup. Exits 0 only if every RESULT line is PASS.
# SCENARIO=legacy boots the same kernel with RHEL 8's layout instead (guest/legacy-init: v1 controllers,
# no cgroup2 until the daemon mounts its own).
# Usage: tests/purev2/run.sh     env: SCENARIO (purev2 | legacy), APPEND_EXTRA (extra kernel arguments), TIMEOUT (seconds, default 240)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCENARIO=${SCENARIO:-purev2}
case $SCENARIO in
  purev2) INIT=$HERE/guest/init; SERVICES=$(ls "$HERE/guest/config.d" | sed "s/\.yaml$//") ;;
  legacy) INIT=$HERE/guest/legacy-init; SERVICES="hog limited forker forkloop" ;;
  *) echo "purev2: SCENARIO is purev2 or legacy" >&2; exit 2 ;;
esac
WORK=${PUREV2_WORK:-$HERE/work}
TIMEOUT=${TIMEOUT:-240}
mkdir -p "$WORK"
[ -x "$ROOT/dist/processmaster" ] || { echo "purev2: run ./build.sh first" >&2; exit 1; }

# 1. Host packages.
need=()
for p in qemu-system-x86 busybox-static cpio gcc libc6-dev; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if ((${#need[@]})); then
  echo "purev2: installing ${need[*]}"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. The Debian cloud kernel (kept in $WORK between runs); vmlinuz and the virtio disk's modules (in
#    load order: the guest has no modprobe) are extracted.
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$kpkg" ] || { apt-get update -q >/dev/null; kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}'); }
VMLINUZ=$WORK/kernel/$kpkg/vmlinuz
MODULES=$WORK/kernel/$kpkg/modules
VIRTIO_MODULES="virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev virtio/virtio_pci_legacy_dev virtio/virtio_pci block/virtio_blk"
if [ ! -f "$VMLINUZ" ] || [ ! -f "$MODULES/virtio_blk.ko" ]; then
  mkdir -p "$WORK/debs" "$WORK/kernel/$kpkg" "$MODULES"
  (cd "$WORK/debs" && apt-get download -q "$kpkg" >/dev/null)
  dpkg-deb -x "$WORK"/debs/"${kpkg}"_*.deb "$WORK/kernel/$kpkg/x"
  cp "$WORK"/kernel/"$kpkg"/x/boot/vmlinuz-* "$VMLINUZ"
  i=0
  for m in $VIRTIO_MODULES; do
    ko=$(find "$WORK/kernel/$kpkg/x/lib/modules" -path "*/drivers/$m.ko*" | head -n 1)
    [ -n "$ko" ] || { echo "purev2: $kpkg has no $m module" >&2; exit 1; }
    case $ko in *.xz) xz -dc "$ko" ;; *.zst) zstd -dc "$ko" ;; *) cat "$ko" ;; esac > "$MODULES/$i-${m##*/}.ko"
    cp "$MODULES/$i-${m##*/}.ko" "$MODULES/${m##*/}.ko"
    i=$((i + 1))
  done
  rm -rf "$WORK/kernel/$kpkg/x" "$WORK/debs"
fi

# 3. The initramfs.
R=$WORK/rootfs
rm -rf "$R"; mkdir -p "$R"/{bin,sbin,usr/bin,proc,sys,dev,tmp,etc,opt/pm,lib/x86_64-linux-gnu,lib64}
cp /bin/busybox "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$R/bin/$applet"; done
gcc -O2 -static -o "$R/opt/pm/helper" "$HERE/helper.c"
install -m 755 "$INIT" "$R/init"
cp "$ROOT"/dist/{processmaster,pmctl,processmaster-exec} "$R/opt/pm/"
cp "$HERE/guest/config.yaml" "$R/opt/pm/"
mkdir -p "$R/opt/pm/config.d"
for service in $SERVICES; do cp "$HERE"/guest/config.d/"$service".yaml "$R/opt/pm/config.d/"; done
mkdir -p "$R/lib/modules" && cp "$MODULES"/[0-9]-*.ko "$R/lib/modules/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
printf 'passwd: files\ngroup: files\n' > "$R/etc/nsswitch.conf"
# The libraries the binaries link, plus those they open at run time (which ldd does not show).
libs() {
  ldd "$1" | grep -oE '/[^ ]+\.so[^ ]*'
  LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\(\/[^ ]*\.so[^ ]*\).*/\1/p'
}
{
  libs "$ROOT/dist/processmaster" --version
  libs "$ROOT/dist/processmaster" --check-config -c "$ROOT/examples/config.yaml"
  libs "$ROOT/dist/pmctl" --help
  libs "$ROOT/dist/processmaster-exec" -- /bin/true
} | sort -u | while read -r lib; do
  if [ -e "$lib" ]; then mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; fi
done
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.cpio.gz"
echo "purev2: kernel $kpkg, initramfs $(stat -c %s "$WORK/initrd.cpio.gz") bytes"

# 4. Boot; every console line is timestamped on the host.
LOG=$WORK/console-$SCENARIO.log; : > "$LOG"
T0=${EPOCHREALTIME/./}
elapsed() { local d=$(( ${EPOCHREALTIME/./} - T0 )); printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000)); }
set +e
# A 64 MiB virtio disk for the I/O limits (written raw by the guest's services, no file system).
rm -f "$WORK/disk.img"; truncate -s 64M "$WORK/disk.img"
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 -nographic -no-reboot \
    -drive file="$WORK/disk.img",format=raw,if=virtio \
    -kernel "$VMLINUZ" -initrd "$WORK/initrd.cpio.gz" -append "console=ttyS0 quiet panic=-1 ${APPEND_EXTRA:-}" </dev/null 2>&1 |
  while IFS= read -r line; do
    line=${line%$'\r'}
    printf '[%7s] %s\n' "$(elapsed)" "$line" | tee -a "$LOG"
  done
set -e
echo "purev2: guest finished after $(elapsed)s"

# 5. Verdict.
grep -q '@@ ALL-DONE' "$LOG" || { echo "purev2: FAIL: the guest never finished the scenario (panic or timeout)"; exit 1; }
if grep -q 'RESULT .* FAIL' "$LOG"; then
  echo "purev2: FAIL:"; grep 'RESULT .* FAIL' "$LOG"; exit 1
fi
echo "purev2: PASS: $(grep -c 'RESULT .* PASS' "$LOG") checks ($SCENARIO scenario)"
