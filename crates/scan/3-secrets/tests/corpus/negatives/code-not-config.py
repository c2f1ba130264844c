def login(user, password):
    token = hmac.new(key, msg, 'sha256').hexdigest()
    password = request.form['password']
    api_key = os.environ['API_KEY']
    return check(user, password)
