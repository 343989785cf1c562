/* The docstrings of sheaf.Index (index.c): the package's manual, with
 * sheaf/__init__.pyi for the types. */
#ifndef SHEAF_INDEX_DOC_H
#define SHEAF_INDEX_DOC_H

#define DOC_INDEX                                                              \
    "Index(mode='near', **options)\n\n"                                        \
    "An in-memory index that puts each article added in a cluster at once.\n" \
    "mode 'near' finds copies (MinHash of word shingles, LSH); 'story'\n"      \
    "bundles different write-ups of one event. options are the command\n"     \
    "line's, parsed by the library's parameter table: threshold=0.5,\n"       \
    "shingle='word:5', hashes=128, seed=0, bands/rows, window='72h' (or\n"    \
    "seconds, or a timedelta), contrast=0.09 (story), simd='auto'; see\n"     \
    "sheaf.parameters(). A bad value raises ValueError naming the option\n"   \
    "and its range, an unknown option TypeError.\n\n"                          \
    "With a window, the index expires as the clusterer does: after each\n"    \
    "add, what lies two windows behind the newest article goes.\n\n"          \
    "Calls may come from any thread; they are serialised, and add_many\n"     \
    "signs on worker threads with the GIL released."

#define DOC_OPEN                                                               \
    "Index.open(path, mode=None, *, readonly=False, **options) -> Index\n\n"   \
    "Open the index stored at path (an LMDB file, with path-lock beside\n"    \
    "it), creating it when absent. With neither mode nor options it is\n"     \
    "opened as stored (created with the near defaults); options given are\n"  \
    "checked against the stored ones (sheaf.Error, code EMISMATCH, when\n"    \
    "they differ). Every add that returns is on disk. A context manager;\n"   \
    "close(), leaving the with block or dropping the last reference\n"        \
    "commits and closes it, so the path can be opened again at once. A\n"     \
    "second writer (another process) gets sheaf.Error with code EBUSY."

#define DOC_ADD                                                                \
    "add(id, text, time=None, title=None) -> Assignment\n\n"                   \
    "Add one article and return its cluster: .cluster (the name, the id\n"    \
    "of its first article), .match (the article that decided it, or None),\n" \
    ".similarity and .size. id is a str or an int; text and title are str\n"  \
    "or bytes (taken as UTF-8; bad bytes count as U+FFFD); time is seconds\n" \
    "since the epoch (int or float), a datetime (naive: UTC) or an ISO\n"     \
    "8601 str, and matters only with a window. title is used by story\n"      \
    "mode only. An id already in the index raises sheaf.Error (EEXIST)."

#define DOC_ADD_MANY                                                           \
    "add_many(articles, threads=None) -> list[Assignment]\n\n"                 \
    "Add every article of an iterable, in order, and return their\n"          \
    "assignments in order: exactly what add() one by one would return.\n"     \
    "Each article is a tuple (id, text) or (id, text, time), or a dict\n"     \
    "with 'id', 'text' and optionally 'time' and 'title'. Near mode signs\n"  \
    "the texts on `threads` threads (None: all cores) with the GIL\n"         \
    "released; story mode adds on the calling thread (its statistics learn\n" \
    "in order), also without the GIL. A stored index commits once per\n"     \
    "batch of articles instead of once per article. On an error the\n"        \
    "articles before the failing one are added and the error is raised."

#define DOC_QUERY                                                              \
    "query(text, time=None, title=None) -> list[Match]\n\n"                    \
    "What adding the text would decide, adding nothing. Near mode: every\n"   \
    "article that passes verification, most similar first; story mode: at\n"  \
    "most one, the most similar member of the cluster it would join."

#define DOC_CLUSTER_OF                                                         \
    "cluster_of(id) -> str\n\n"                                                \
    "The name of the article's cluster; sheaf.NotFoundError (a KeyError)\n"   \
    "when the index does not hold it."

#define DOC_REMOVE                                                             \
    "remove(id) -> None\n\n"                                                   \
    "Remove an article; its cluster keeps its name. sheaf.NotFoundError\n"    \
    "when absent."

#define DOC_EXPIRE                                                             \
    "expire(before) -> int\n\n"                                                \
    "Remove every article published before `before` (a time, as add takes\n"  \
    "it); articles without a time stay. Returns how many went."

#define DOC_MEMBERS                                                            \
    "members(cluster) -> list[str]\n\n"                                        \
    "The ids of a cluster's articles, in the order they were added;\n"        \
    "sheaf.NotFoundError when no cluster has that name."

#define DOC_CLUSTERS                                                           \
    "clusters() -> list[Cluster]\n\n"                                          \
    "Every cluster as (name, size), in the order the clusters were made."

#define DOC_CLOSE                                                              \
    "close() -> None\n\n"                                                      \
    "Free the index (a stored one is committed and closed). Calls after it\n" \
    "raise ValueError; closing twice is harmless."

#endif
