# The install layout, shared by build-deb.sh and install.sh. Sourced; ROOT is the repository root.
# stage DESTDIR: copies every installed file under DESTDIR.
stage() {
  local d=$1
  install -d -m 755 "$d/usr/bin" "$d/usr/lib/processmaster" "$d/etc/processmaster/config.d" "$d/lib/systemd/system" \
    "$d/usr/share/bash-completion/completions" "$d/usr/share/doc/processmaster/examples"
  install -d -m 750 "$d/var/lib/processmaster"
  install -m 755 "$ROOT/dist/processmaster" "$ROOT/dist/pmctl" "$ROOT/dist/processmaster-exec" "$d/usr/bin/"
  install -m 755 "$ROOT/packaging/files/upgrade-in-place" "$d/usr/lib/processmaster/upgrade-in-place"
  install -m 644 "$ROOT/packaging/files/config.yaml" "$d/etc/processmaster/config.yaml"
  install -m 644 "$ROOT/packaging/files/README.config.d" "$d/etc/processmaster/config.d/README"
  install -m 644 "$ROOT/packaging/processmaster.service" "$d/lib/systemd/system/processmaster.service"
  install -m 644 "$ROOT/packaging/pmctl.bash-completion" "$d/usr/share/bash-completion/completions/pmctl"
  install -m 644 "$ROOT/README.md" "$d/usr/share/doc/processmaster/README.md"
  cp -r "$ROOT/docs/." "$d/usr/share/doc/processmaster/"
  install -m 644 "$ROOT"/examples/*.yaml "$d/usr/share/doc/processmaster/examples/"
  # For the monitoring side: Prometheus alert rules (with their promtool tests) and a Grafana dashboard.
  install -d -m 755 "$d/usr/share/processmaster/prometheus" "$d/usr/share/processmaster/grafana"
  install -m 644 "$ROOT"/packaging/prometheus/*.yml "$d/usr/share/processmaster/prometheus/"
  install -m 644 "$ROOT/packaging/grafana/processmaster-dashboard.json" "$d/usr/share/processmaster/grafana/"
}

# Every path stage() creates that belongs to the package alone (removed on uninstall).
OWNED_FILES=(usr/bin/processmaster usr/bin/pmctl usr/bin/processmaster-exec usr/lib/processmaster lib/systemd/system/processmaster.service
  usr/share/bash-completion/completions/pmctl usr/share/doc/processmaster usr/share/processmaster etc/processmaster/config.d/README)
