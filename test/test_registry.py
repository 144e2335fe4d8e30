import pytest

from ttsf.registry import Registry, RegistryError, all_registries, get_registry


class Base:
    pass


@pytest.fixture
def reg():
    from ttsf.registry import REGISTRIES

    r = Registry("test_family_tmp", Base, default="a")
    yield r
    del REGISTRIES["test_family_tmp"]


def test_register_and_build(reg):
    @reg.register("A")
    class A(Base):
        def __init__(self, size: int = 3, name: str = "x"):
            self.size, self.name = size, name

    assert reg.names() == ["a"]
    assert reg.get("a") is A and reg.get(None) is A  # case-insensitive; None -> default
    obj = reg.build("a", {"size": 5}, name="y")
    assert (obj.size, obj.name) == (5, "y")


def test_none_is_an_ordinary_name(reg):
    @reg.register("none")
    class Nothing(Base):
        pass

    assert isinstance(reg.build("none"), Nothing)


def test_unknown_name_lists_valid_ones(reg):
    reg.register("alpha")(type("Alpha", (Base,), {}))
    reg.register("beta")(type("Beta", (Base,), {}))
    with pytest.raises(
        RegistryError, match=r"unknown test_family_tmp 'alpah'.*alpha, beta.*'alpha'"
    ):
        reg.get("alpah")


def test_unknown_conf_key_lists_valid_ones(reg):
    @reg.register("a")
    class A(Base):
        def __init__(self, hidden: int = 1, layers: int = 2):
            pass

    with pytest.raises(
        RegistryError, match=r"unknown key\(s\) \['hiden'\].*hidden, layers.*'hidden'"
    ):
        reg.check_conf("a", {"hiden": 3})
    reg.check_conf("a", {"hidden": 3})  # valid keys pass


def test_register_rejects_wrong_base_and_name_clash(reg):
    with pytest.raises(RegistryError, match="must subclass Base"):
        reg.register("x")(int)

    reg.register("x")(type("X1", (Base,), {}))
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("x")(type("X2", (Base,), {}))


def test_duplicate_family_is_an_error(reg):
    with pytest.raises(RegistryError, match="already exists"):
        Registry("test_family_tmp", Base)


def test_every_paper_family_exists():
    families = set(all_registries())
    for family in (
        "text_frontend",
        "tts",
        "tts_conditioning",
        "vocoder",
        "face_generator",
        "motion_extractor",
        "audio_mapper",
        "motion_sampler",
        "discriminator",
        "loss",
        "metric",
        "face_detector",
        "task",
    ):
        assert family in families
    with pytest.raises(RegistryError, match="unknown component family 'ttss'.*'tts'"):
        get_registry("ttss")
