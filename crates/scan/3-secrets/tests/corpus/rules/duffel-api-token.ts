const duffel = new Duffel({ token: '{{fake:duffel_live_:b64u:43}}' });
