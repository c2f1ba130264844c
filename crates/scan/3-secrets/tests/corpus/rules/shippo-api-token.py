shippo.config.api_key = "{{fake:shippo_live_:hex:40}}"
