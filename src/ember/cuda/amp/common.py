"""torch.cuda.amp.common: whether AMP on CUDA is certainly unavailable here."""

__all__ = ["amp_definitely_not_available"]


def amp_definitely_not_available():
    from .. import is_available
    return not is_available()
