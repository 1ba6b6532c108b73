#!/bin/sh
# An auto-service: this directory is the service "hello"; service.yml next to it was generated.
while true; do
  echo "hello from $(hostname) at $(date -u +%H:%M:%S)"
  sleep 5
done
