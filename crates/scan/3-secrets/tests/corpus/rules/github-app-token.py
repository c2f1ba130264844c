INSTALLATION_TOKEN = "{{fake:ghs_:a62:36}}"
