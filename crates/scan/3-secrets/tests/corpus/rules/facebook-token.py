FACEBOOK_APP_SECRET = '{{fake::hex:32}}'
