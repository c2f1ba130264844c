login(token="{{fake:hf_:a62:34}}")
