window.NREUM.loader_config = { licenseKey: "{{fake:NRJS-:hex:19}}" };
