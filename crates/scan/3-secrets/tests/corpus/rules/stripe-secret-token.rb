Stripe.api_key = '{{fake:sk_live_:a62:24}}'
