"""The bundled sample news site, served on 127.0.0.1, and the offline demo run over it."""
