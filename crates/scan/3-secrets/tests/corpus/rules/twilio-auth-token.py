TWILIO_AUTH_TOKEN = "{{fake::hex:32}}"
