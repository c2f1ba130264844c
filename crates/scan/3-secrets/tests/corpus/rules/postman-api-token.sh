curl -H 'X-Api-Key: {{fake:PMAK-:hex:24}}-{{fake::hex:34}}' https://api.getpostman.invalid/me
