client = WebClient(token="{{fake:xoxb-:digit:12}}-{{fake::digit:13}}-{{fake::a62:24}}")
