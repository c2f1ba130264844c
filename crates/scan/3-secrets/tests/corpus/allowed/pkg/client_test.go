package pkg

const fakeToken = "{{fake:ghp_:a62:36}}"
