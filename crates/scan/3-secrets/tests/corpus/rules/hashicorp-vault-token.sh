export VAULT_TOKEN={{fake:hvs.:b64u:95}}
