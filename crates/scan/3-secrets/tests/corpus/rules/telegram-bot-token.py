bot = telebot.TeleBot("{{fake::digit:10}}:AA{{fake::b64u:33}}")
