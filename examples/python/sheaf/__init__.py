"""sheaf: group news articles that tell the same story.

    import sheaf
    idx = sheaf.Index()                        # near mode, the defaults
    a = idx.add("reuters-1", text)             # a.cluster, a.match, a.similarity
    idx.add_many(pairs)                        # [(id, text), ...], signed in parallel
    with sheaf.Index.open("news.idx", mode="story", window="72h") as idx: ...

Index(mode, **options) takes the command line's options (threshold,
shingle, hashes, seed, window, contrast, ...), parsed by the C library's
parameter table: sheaf.parameters() lists them.
"""
from ._sheaf import (  # noqa: F401
    Assignment,
    Cluster,
    Error,
    Index,
    Match,
    NotFoundError,
    EBUSY,
    ECORRUPT,
    EEXIST,
    EINVAL,
    EIO,
    EMISMATCH,
    ENOMEM,
    ENOTFOUND,
    ERANGE,
    EREADONLY,
    library_version,
    parameters,
)

__version__ = library_version
__all__ = ["Index", "Assignment", "Match", "Cluster", "Error",
           "NotFoundError", "parameters", "library_version"]
