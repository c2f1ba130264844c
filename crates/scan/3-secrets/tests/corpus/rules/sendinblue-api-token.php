$config = SendinBlue\Client\Configuration::getDefaultConfiguration()->setApiKey('api-key', '{{fake:xkeysib-:hex:64}}-{{fake::a62:16}}');
