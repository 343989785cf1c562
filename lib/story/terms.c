/* Story-mode terms; see terms.h. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <string.h>

#include "story/terms.h"

/*
 * English function words, written for sheaf: articles, pronouns,
 * prepositions, conjunctions, auxiliaries, quantifiers, and the reporting
 * verbs and time words of news prose ("said", "told", "year"), which every
 * article has whatever it is about. They carry no evidence of an event, and
 * while few articles have been seen the learnt document frequencies cannot
 * tell them from content yet. Apostrophes are dropped by the scanner, so
 * contractions appear without them.
 */
static const char stopword_list[] =
    "a about above across actually after afterwards again against ago ah "
    "all almost alone along already also although always am among amongst "
    "an and another any anybody anyone anything anyway anywhere are aren "
    "arent around as at away back be became because become becomes "
    "becoming been before beforehand behind being below beside besides "
    "between beyond both but by can cannot cant come comes coming could "
    "couldnt did didnt do does doesnt doing done dont down during each "
    "either else elsewhere enough etc even ever every everybody everyone "
    "everything everywhere far few for former formerly from further "
    "furthermore get gets getting give given gives go goes going gone got "
    "gotten had hadnt has hasnt have havent having he hed hell hence her "
    "here hereby herein hers herself hes him himself his how however i id "
    "ie if ill im in inc indeed instead into is isnt it itd itll its "
    "itself ive just last later latter least less let lets like likely "
    "made make makes making many may maybe me meanwhile might mine more "
    "moreover most mostly mr mrs ms much must my myself namely near nearly "
    "neither never nevertheless next no nobody none noone nor not nothing "
    "now nowhere of off often oh ok okay on once one ones only onto or "
    "other others otherwise ought our ours ourselves out over own per "
    "perhaps please put quite rather re really said same saw say saying "
    "says see seem seemed seeming seems seen several shall she shed shell "
    "shes should shouldnt since so some somebody somehow someone something "
    "sometime sometimes somewhat somewhere still such than that thats the "
    "their theirs them themselves then thence there thereafter thereby "
    "therefore therein theres these they theyd theyll theyre theyve thing "
    "things this those though through throughout thus to together told too "
    "took toward towards under unless until up upon us use used uses using "
    "very via was wasnt way ways we wed well were werent weve what whatever "
    "whats when whence whenever where whereas whereby wherever whether "
    "which while who whoever whole whom whos whose why will with within "
    "without wont would wouldnt yes yet you youd youll your youre yours "
    "yourself yourselves youve "
    /* news prose */
    "according added adding asked ask asking tell telling tells "
    "time times day days week weeks month months year years today "
    "yesterday tomorrow people percent lot lots including include "
    "includes new first two three";

static uint32_t stop_home(uint64_t h)
{
    return (uint32_t)(h >> 40) & (SHEAF__STOP_SLOTS - 1);
}

void sheaf__stopwords_init(sheaf__stopwords *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    sheaf__scan s;
    sheaf__scan_init(&s, stopword_list, sizeof stopword_list - 1);
    uint64_t h[64];
    size_t n;
    while ((n = sheaf__scan_words(&s, seed, h, 64)) != 0) {
        for (size_t i = 0; i < n; i++) {
            if (h[i] == 0) {
                w->has_zero = 1;
                continue;
            }
            uint32_t j = stop_home(h[i]);
            while (w->slot[j] && w->slot[j] != h[i])
                j = (j + 1) & (SHEAF__STOP_SLOTS - 1);
            w->slot[j] = h[i];
        }
    }
}

int sheaf__stopwords_has(const sheaf__stopwords *w, uint64_t hash)
{
    if (hash == 0)
        return w->has_zero;
    for (uint32_t j = stop_home(hash); w->slot[j];
         j = (j + 1) & (SHEAF__STOP_SLOTS - 1))
        if (w->slot[j] == hash)
            return 1;
    return 0;
}

void sheaf__terms_init(sheaf__term_scan *t, const sheaf__stopwords *stop,
                       const char *text, size_t len)
{
    static const uint8_t empty[1];
    memset(t, 0, sizeof *t);
    t->p = text ? (const uint8_t *)text : empty;
    t->end = t->p + (text ? len : 0);
    t->stop = stop;
}

/* ASCII letters and digits, folded; 0 for every other byte. */
static const uint8_t fold_tab[128] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
    ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
    ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
    ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd',
    ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i',
    ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's',
    ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z',
};

/* The length of the apostrophe at p (' or U+2019), else 0. */
static size_t apostrophe(const uint8_t *p, const uint8_t *end)
{
    if (*p == '\'')
        return 1;
    if (end - p >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99)
        return 3;
    return 0;
}

/* The length of the separator at p that is not ASCII but common in
 * English text: typographic quotes U+2018, U+201C, U+201D, dashes U+2013,
 * U+2014, the ellipsis U+2026 and the no-break space U+00A0; else 0. The
 * library's scanner separates words at them too. */
static size_t wide_separator(const uint8_t *p, const uint8_t *end)
{
    if (end - p >= 2 && p[0] == 0xC2 && p[1] == 0xA0)
        return 2;
    if (end - p >= 3 && p[0] == 0xE2 && p[1] == 0x80)
        switch (p[2]) {
        case 0x93: case 0x94: case 0x98: case 0x9C: case 0x9D: case 0xA6:
            return 3;
        }
    return 0;
}

/* Whether a word may start at p: an ASCII letter or digit, or a byte
 * beyond ASCII that is neither a known separator nor an apostrophe. */
static int word_start(const uint8_t *p, const uint8_t *end)
{
    if (*p < 0x80)
        return fold_tab[*p] != 0;
    return !wide_separator(p, end) && !apostrophe(p, end);
}

/* Harman's S-stemmer on a folded word of n bytes; returns the new length
 * (the caller rewrites a final "ies" to "y"). Words under four letters are
 * left alone ("gas", "bus", "his"). */
static size_t s_stem(uint8_t *w, size_t n)
{
    if (n < 4 || w[n - 1] != 's')
        return n;
    if (w[n - 2] == 'e' && w[n - 3] == 'i' && w[n - 4] != 'e' &&
        w[n - 4] != 'a') {
        w[n - 3] = 'y';
        return n - 2;
    }
    if (w[n - 2] == 'e' && w[n - 3] != 'a' && w[n - 3] != 'e' &&
        w[n - 3] != 'o')
        return n - 1;
    if (w[n - 2] != 'u' && w[n - 2] != 's')
        return n - 1;
    return n;
}

/* The next word: its hash into *hash, whether a function word into *stop
 * (content words come stemmed); 0 at the end of the text. */
static int next_word(sheaf__term_scan *t, uint64_t *hash, int *stop)
{
    const uint8_t *p = t->p, *const end = t->end;
    const uint64_t seed = t->stop->seed;
    for (;;) {
        if (t->lib_next < t->lib_n) {
            *hash = t->lib[t->lib_next++];
            *stop = sheaf__stopwords_has(t->stop, *hash);
            return 1;
        }
        if (t->in_run) {
            /* A word with characters beyond ASCII: the library scans it. */
            t->lib_n = sheaf__scan_words(&t->run, seed, t->lib,
                                         sizeof t->lib / sizeof t->lib[0]);
            t->lib_next = 0;
            t->in_run = t->lib_n != 0;
            continue;
        }
        /* Skip separators. */
        while (p < end && !word_start(p, end)) {
            size_t w = *p < 0x80 ? 0 : wide_separator(p, end);
            p += w ? w : 1;
        }
        if (p == end) {
            t->p = p;
            return 0;
        }
        /* The run of word bytes and inner apostrophes from p, folded into
         * buf while it is plain ASCII. */
        const uint8_t *start = p, *last_apos = NULL;
        uint8_t buf[SHEAF__WORD_PIECE];
        size_t len = 0;
        int plain = 1;
        for (;;) {
            if (p == end)
                break;
            if (*p < 0x80 && fold_tab[*p]) {
                if (len < sizeof buf)
                    buf[len] = fold_tab[*p];
                len++;
                p++;
                continue;
            }
            size_t a = apostrophe(p, end);
            if (a) {
                if (p + a == end || !word_start(p + a, end))
                    break;
                last_apos = p;
                p += a;
                continue;
            }
            if (*p < 0x80 || wide_separator(p, end))
                break;
            plain = 0;
            p++;
        }
        /* A possessive: the run ends in 's. */
        int possessive = last_apos && p - last_apos >= 2 &&
                         (p[-1] == 's' || p[-1] == 'S') &&
                         p - 1 - apostrophe(last_apos, end) == last_apos;
        if (!plain || len > sizeof buf) {
            sheaf__scan_init(&t->run, (const char *)start,
                             (size_t)((possessive ? last_apos : p) - start));
            t->in_run = 1;
            t->p = p;
            continue;
        }
        t->p = p;
        len -= (size_t)possessive;
        *hash = XXH3_64bits_withSeed(buf, len, seed);
        *stop = sheaf__stopwords_has(t->stop, *hash);
        if (!*stop) {
            size_t stem = s_stem(buf, len);
            if (stem != len)
                *hash = XXH3_64bits_withSeed(buf, stem, seed);
        }
        return 1;
    }
}

/* Queue the content words held back since the last function word, as
 * prose or as a list. */
static void release_pending(sheaf__term_scan *t, int list)
{
    memcpy(t->queue, t->pending, t->npending * sizeof t->queue[0]);
    t->nqueue = t->npending;
    t->queue_list = list;
    t->npending = 0;
}

size_t sheaf__terms_next(sheaf__term_scan *t, sheaf__term *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        while (t->next < t->nqueue && n < cap) {
            out[n].hash = t->queue[t->next++];
            out[n++].list = t->queue_list;
        }
        if (t->next < t->nqueue || n == cap || t->at_end)
            return n;
        t->nqueue = t->next = 0;
        uint64_t h;
        int stop;
        if (!next_word(t, &h, &stop)) {
            t->at_end = 1;
            release_pending(t, 0);
            continue;
        }
        t->words++;
        if (stop) {
            t->function_words++;
            t->in_list = 0;
            release_pending(t, 0);
        } else if (t->in_list) {
            t->queue[t->nqueue++] = h;
            t->queue_list = 1;
        } else if (t->npending == SHEAF__LIST_RUN) {
            /* Too many content words in a row for prose: a list. */
            release_pending(t, 1);
            t->queue[t->nqueue++] = h;
            t->in_list = 1;
        } else {
            t->pending[t->npending++] = h;
        }
    }
}
