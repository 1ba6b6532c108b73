Put one service definition per file here: <name>.yaml (see /usr/share/doc/processmaster/examples/service.full.yaml).
Then run `pmctl update` to load it.
