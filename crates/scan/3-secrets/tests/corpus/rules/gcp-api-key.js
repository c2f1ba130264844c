const firebaseConfig = {
  apiKey: "{{fake:AIza:b64u:35}}",
  projectId: "acme-web",
};
