"""The offline mini corpus: LRS3's exact layout, generated from packaged portraits and espeak-ng."""
