"""``espeak_phn``: English text -> IPA phoneme characters by espeak-ng (Matcha-TTS's frontend).

As in Matcha-TTS's ``english_cleaners2``: clean the text (:mod:`ttsf.text.cleaners`), phonemise
with espeak-ng keeping punctuation and stress marks, and use every character of the phoneme
string as one token, the space being the word boundary.
"""

from __future__ import annotations

from ttsf.text.abs_frontend import AbsTextFrontend, TextFrontendError, text_frontend_registry
from ttsf.text.cleaners import english_cleaner
from ttsf.text.token_list import BLANK, UNK, read_token_list

__all__ = ["EspeakPhonemeFrontend", "PHONEME_SYMBOLS"]

_PUNCTUATION = " ;:,.!?-'\"()"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# The IPA chart's letters, diacritics and suprasegmentals that espeak-ng can emit.
_IPA = (
    "ɑɐɒæɔəɘɚɛɜɝɞɨɪʉʊʌɤɯøœɶɵʏᵻ"  # vowels
    "ɓʙβɕçɗɖðʤʧɟʄɡɠɢʛɦɧħɥʜʝɭɬɫɮʟɱɰŋɳɲɴɸθɹɺɾɻʀʁɽʂʃʈʋⱱɣʍχʎʑʐʒʔʡʕʢ"  # consonants
    "ǀǁǂǃʘ"  # clicks
    "ˈˌːˑʼʴʰʱʲʷˠˤ˞\u0329\u0303"  # stress, length, secondary articulation, syllabic, nasal
    "↓↑→↗↘"  # intonation
)
#: the fixed token inventory: padding, unknown, punctuation and space, letters, IPA
PHONEME_SYMBOLS: list[str] = [BLANK, UNK, *_PUNCTUATION, *_LETTERS, *_IPA]


@text_frontend_registry.register("espeak_phn")
class EspeakPhonemeFrontend(AbsTextFrontend):
    """espeak-ng phonemes.

    Args:
        language: espeak-ng voice (``en-us``, ``en-gb``...); the cleaner is English.
        with_stress: keep primary/secondary stress marks (Matcha-TTS does).
        token_list: a token list file to use instead of :data:`PHONEME_SYMBOLS` (the one a
            model was trained with).
    """

    def __init__(
        self, language: str = "en-us", with_stress: bool = True, token_list: str | None = None
    ) -> None:
        self.language = language
        self.with_stress = with_stress
        self._tokens = read_token_list(token_list) if token_list else list(PHONEME_SYMBOLS)
        self._backend = None

    @property
    def token_list(self) -> list[str]:
        return self._tokens

    def _espeak(self):
        if self._backend is None:
            # Created once: starting espeak costs ~0.1 s, phonemising a sentence ~50 us.
            from phonemizer.backend import EspeakBackend
            from phonemizer.logger import get_logger

            logger = get_logger(verbosity="quiet")
            # "quiet" only gives it a null handler: its per-sentence warnings (word-count
            # mismatches, harmless with punctuation kept) would still reach the root logger
            logger.propagate = False
            self._backend = EspeakBackend(
                self.language,
                preserve_punctuation=True,
                with_stress=self.with_stress,
                language_switch="remove-flags",
                logger=logger,
            )
        return self._backend

    def phonemize_batch(self, texts: list[str]) -> list[str]:
        """Cleaned and phonemised sentences, one espeak call for the whole list."""
        cleaned = [english_cleaner(t) for t in texts]
        phones = self._espeak().phonemize(cleaned, strip=True, njobs=1)
        out = []
        for text, ph in zip(texts, phones, strict=True):
            ph = " ".join(ph.split())
            if not any(c.isalpha() for c in ph):
                raise TextFrontendError(f"text {text!r} gave no phonemes (espeak output {ph!r})")
            out.append(ph)
        return out

    def tokenize_batch(self, texts: list[str]) -> list[list[str]]:
        return [list(ph) for ph in self.phonemize_batch(texts)]

    def tokenize(self, text: str) -> list[str]:
        return self.tokenize_batch([text])[0]
