EasyPost.api_key = '{{fake:EZAK:a62:54}}'
