#!/usr/bin/env python3
"""Walks fakegram through both dialects end to end (stdlib only).

usage: smoke.py [path/to/fakegram]   (default: build/fakegram)
Starts fakegram on 127.0.0.1:0 with a local receiver standing in for igbridge
(webhooks, hub.challenge, deauthorize, data deletion) and walks: two ids per
account, scopes, Cancel without state, the flat token answer (numeric user_id)
and its flat errors, strict fields, carousels with video children, videos,
late captions, caption edits and deletions, expiring CDN URLs with real bytes,
faults (by account, target, BUC, app limit, error codes with is_transient,
fractional regain_minutes and holds), token age and refresh, app subscriptions
with the Meta app pair, subscribed_apps (no per-account fields), mentions,
messaging[] entries, the dashboard's test payloads and signed_requests, each
signed with the secret --sign-with names; the documented wrapped shapes behind
their flags; the usage text naming every flag; then the legacy dialect. Exits
non-zero on the first surprise. ctest runs it as fakegram.smoke.
"""
import base64, hashlib, hmac, http.server, json, os, re, struct, subprocess, sys, threading, time, zlib
import urllib.error, urllib.parse, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../build/fakegram')
VERIFY = 'vt'
SECRET = 'sek'        # the Instagram app secret (--client-secret)
META_SECRET = 'meta'  # the Meta App Secret (--meta-app-secret)
APP_ID = '999000111'
TTL = 2
hooks = []      # (headers, body) of POST /hooks/instagram
callbacks = []  # (path, form) of POST /deauthorize and /deletion
challenges = []


class Receiver(http.server.BaseHTTPRequestHandler):
    """igbridge's part: echoes hub.challenge for the right verify token,
    records signed updates and signed_requests."""

    def _answer(self, status, body, ctype='application/json'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        challenges.append(q)
        ok = (urllib.parse.urlparse(self.path).path == '/hooks/instagram'
              and q.get('hub.mode') == ['subscribe'] and q.get('hub.verify_token', [''])[0] == VERIFY)
        self._answer(200 if ok else 403, q.get('hub.challenge', [''])[0].encode() if ok else b'no',
                     'text/plain')

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        path = urllib.parse.urlparse(self.path).path
        if path == '/hooks/instagram':
            hooks.append((dict(self.headers), body))
            self._answer(200, b'')
        elif path in ('/deauthorize', '/deletion'):
            form = urllib.parse.parse_qs(body.decode())
            callbacks.append((path, form, self.headers.get('Content-Type')))
            answer = {} if path == '/deauthorize' else {'url': 'http://x/deletion?code=C1',
                                                        'confirmation_code': 'C1'}
            self._answer(200, json.dumps(answer).encode())
        else:
            self._answer(404, b'{}')

    def log_message(self, *a):
        pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method, url, data=None, form=None, raw=False):
    body, headers = None, {}
    if data is not None:
        body, headers = json.dumps(data).encode(), {'Content-Type': 'application/json'}
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers = {'Content-Type': 'application/x-www-form-urlencoded'}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with opener.open(req, timeout=15) as r:
            b = r.read()
            return r.status, dict(r.headers), b if raw else b.decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        b = e.read()
        return e.code, dict(e.headers), b if raw else b.decode('utf-8', 'replace')


def send_raw(method, url, body):
    req = urllib.request.Request(url, data=body, method=method, headers={'Content-Type': 'application/json'})
    try:
        with opener.open(req, timeout=15) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def js(method, url, data=None, form=None, status=200):
    s, _, b = call(method, url, data, form)
    assert s == status, (method, url, s, b)
    return json.loads(b)


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        sys.exit(1)


def graph_err(method, url, status=400, data=None, form=None):
    s, h, b = call(method, url, data, form)
    assert s == status, (method, url, s, b)
    return json.loads(b)['error'], h


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def start(dialect, port, extra=()):
    hook = f'http://127.0.0.1:{port}'
    args = [BIN, '--listen', '127.0.0.1:0', '--dialect', dialect, '--client-id', '1234',
            '--client-secret', SECRET, '--webhook-url', hook + '/hooks/instagram',
            '--verify-token', VERIFY, *extra]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    check(line.startswith('fakegram listening on http://127.0.0.1:'), f'{dialect}: {line}')
    return p, line.split(' on ')[1]


def authorize(base, scope, user, redirect='http://127.0.0.1:9/cb'):
    q = urllib.parse.urlencode({'client_id': '1234', 'redirect_uri': redirect, 'response_type': 'code',
                                'scope': scope, 'state': 'st8', 'as': user})
    s, h, _ = call('GET', f'{base}/oauth/authorize?{q}')
    check(s == 302, f'authorize as={user} scope={scope!r} -> 302')
    u = urllib.parse.urlparse(h['Location'])
    q = urllib.parse.parse_qs(u.query)
    check(q['state'] == ['st8'], 'state survives the redirect')
    return q['code'][0], u.fragment


def exchange(base, code, redirect='http://127.0.0.1:9/cb', status=200):
    return js('POST', f'{base}/oauth/access_token', status=status,
              form={'client_id': '1234', 'client_secret': SECRET, 'grant_type': 'authorization_code',
                    'redirect_uri': redirect, 'code': code})


def link(base, scope, user):
    """Authorize, exchange, long-lived: (short grant, long-lived token)."""
    code, _ = authorize(base, scope, user)
    grant = exchange(base, code)
    ll = js('GET', f'{base}/access_token?grant_type=ig_exchange_token&client_secret={SECRET}'
                   f'&access_token={grant["access_token"]}')
    return grant, ll['access_token']


def q(s):
    return urllib.parse.quote(s, safe='')


# -- graph ----------------------------------------------------------------------

def graph_ids_and_scopes(base):
    alice = js('POST', f'{base}/_fake/accounts', {'username': 'alice'})
    check(set(alice) == {'id', 'username', 'app_scoped_id'}, f'account shape {alice}')
    check(alice['id'] != alice['app_scoped_id'] and alice['id'].isdigit()
          and alice['app_scoped_id'].isdigit(), 'two different numeric ids')
    s, _, page = call('GET', f'{base}/oauth/authorize?client_id=1234&redirect_uri=http://x/cb'
                             '&response_type=code&scope=instagram_business_manage_comments&as=alice')
    check(s == 400 and 'instagram_business_basic' in page, 'scope without instagram_business_basic -> 400')
    s, _, page = call('GET', f'{base}/oauth/authorize?client_id=1234&redirect_uri=http://x/cb'
                             '&response_type=code&scope=instagram_business_basic,business_basic&as=alice')
    check(s == 400 and 'Invalid Scopes' in page, 'deprecated scope value -> 400 Invalid Scopes')
    code, frag = authorize(base, 'instagram_business_basic instagram_business_manage_comments', 'alice')
    check(frag == '_', 'graph appends #_')
    err = exchange(base, code, 'http://other/', 400)
    check(set(err) == {'error_type', 'code', 'error_message'} and err['error_type'] == 'OAuthException'
          and err['code'] == 400, f'mismatched redirect_uri -> 400, flat error {err}')
    s, _, raw = call('POST', f'{base}/oauth/access_token',
                     form={'client_id': '1234', 'client_secret': SECRET, 'grant_type': 'authorization_code',
                           'redirect_uri': 'http://127.0.0.1:9/cb', 'code': code})
    tok = json.loads(raw)
    check(s == 200 and list(tok) == ['access_token', 'user_id', 'permissions'], f'flat token answer {raw}')
    check(isinstance(tok['user_id'], int) and tok['user_id'] > 2 ** 53
          and f'"user_id":{alice["app_scoped_id"]},' in raw,
          'user_id is the app-scoped id as an exact 17-digit JSON number')
    check(tok['permissions'] == 'instagram_business_basic,instagram_business_manage_comments',
          f'permissions {tok["permissions"]!r}')
    err = exchange(base, code, status=400)
    check(err == {'error_type': 'OAuthException', 'code': 400,
                  'error_message': 'Matching code was not found or was already used'}, f'code is single-use {err}')
    s, h, _ = call('POST', f'{base}/oauth/authorize/decide',
                   form={'client_id': '1234', 'redirect_uri': 'http://127.0.0.1:9/cb?x=1', 'response_type': 'code',
                         'scope': 'instagram_business_basic', 'state': 'st8', 'decision': 'deny'})
    dq = urllib.parse.parse_qs(urllib.parse.urlparse(h.get('Location', '')).query)
    check(s == 302 and dq == {'x': ['1'], 'error': ['access_denied'], 'error_reason': ['user_denied'],
                              'error_description': ['The user denied your request']},
          f'Deny: error triple and no state, as in Meta\'s sample ({h.get("Location")})')
    ll = js('GET', f'{base}/access_token?grant_type=ig_exchange_token&client_secret={SECRET}'
                   f'&access_token={tok["access_token"]}')
    check(ll['token_type'] == 'bearer' and ll['expires_in'] == 5184000, 'long-lived token, 60 days')
    err, _ = graph_err('GET', f'{base}/access_token?grant_type=ig_exchange_token&client_secret={SECRET}'
                              f'&access_token={ll["access_token"]}')
    check(err['code'] == 100, 'a long-lived token cannot be exchanged again')
    t = ll['access_token']
    s, h, b = call('GET', f'{base}/v23.0/me?fields=user_id,username&access_token={t}')
    me = json.loads(b)
    check(s == 200 and me == {'user_id': alice['id'], 'username': 'alice', 'id': alice['app_scoped_id']},
          f'/me answers id (app-scoped) and user_id (professional): {me}')
    check(json.loads(h['X-App-Usage'])['call_count'] < 10, f'low X-App-Usage {h["X-App-Usage"]}')
    buc = json.loads(h['X-Business-Use-Case-Usage'])
    check(list(buc) == [alice['id']] and buc[alice['id']][0]['type'] == 'instagram',
          f'X-Business-Use-Case-Usage keyed by the professional id')
    check('Retry-After' not in h, 'no Retry-After in graph')
    check(js('GET', f'{base}/me?access_token={t}') == {'id': alice['app_scoped_id']}, '/me default: id only')
    check(js('GET', f'{base}/{alice["id"]}?fields=username&access_token={t}')['username'] == 'alice',
          '/{professional id} reads the user too')
    err, _ = graph_err('GET', f'{base}/me?fields=user_id,email&access_token={t}')
    check(err['code'] == 100 and '(email)' in err['message'], 'unknown /me field -> code 100')
    err, _ = graph_err('GET', f'{base}/me?fields=username%7Bid%7D&access_token={t}')
    check(err['code'] == 100, 'sub-fields on a plain field -> code 100')
    return alice, tok, t


def graph_media(base, alice, t):
    acc = f'{base}/_fake/accounts/{alice["id"]}'
    for i in range(7):
        js('POST', f'{acc}/media', {'caption': f'Soup {i} #EatDifferent'})
    img = js('POST', f'{acc}/media', {'caption': 'Plain photo #ed'})
    vid = js('POST', f'{acc}/media', {'caption': 'Run #ed', 'media_type': 'VIDEO'})
    car = js('POST', f'{acc}/media', {'caption': 'Tapas #ed', 'children': 3})
    late = js('POST', f'{acc}/media', {'caption': 'Late tags #eatdifferent', 'caption_after_s': TTL})
    hidden = js('POST', f'{acc}/media', {'caption': 'Song #ed', 'no_media_url': True})
    check(car['media_type'] == 'CAROUSEL_ALBUM' and len(car['children']) == 3, 'children implies a carousel')
    for bad, why in (({'caption': 1}, 'caption type'), ({'media_type': 'REEL'}, 'media_type'),
                     ({'children': 1}, 'children < 2'), ({'children': 11}, 'children > 10'),
                     ({'media_type': 'IMAGE', 'children': 3}, 'children on an image'),
                     ({'caption_after_s': -1}, 'negative delay'), ({'captoin': 'x'}, 'unknown key')):
        check(call('POST', f'{acc}/media', bad)[0] == 400, f'bad media ({why}) -> 400')
    check(send_raw('POST', f'{acc}/media', b'{"caption":')[0] == 400, 'broken JSON -> 400')

    err, _ = graph_err('GET', f'{base}/me/media?fields=id,caption,tags&access_token={t}')
    check(err['code'] == 100 and '(tags)' in err['message'], 'unknown media field -> code 100')
    err, _ = graph_err('GET', f'{base}/me/media?fields=id,children%7Bid&access_token={t}')
    check(err['code'] == 2500, 'unbalanced braces -> code 2500 syntax error')
    err, _ = graph_err('GET', f'{base}/me/media?fields=children%7Bcolour%7D&access_token={t}')
    check(err['code'] == 100, 'unknown nested field -> code 100')

    fields = ('id,caption,media_type,media_url,permalink,thumbnail_url,timestamp,username,'
              'children{id,media_type,media_url,thumbnail_url}')
    url, seen, pages = f'{base}/v23.0/me/media?fields={q(fields)}&limit=4&access_token={t}', [], 0
    while url:
        page = js('GET', url)
        pages += 1
        seen += page['data']
        url = page.get('paging', {}).get('next')
        if url:
            check(url.startswith(base + '/v23.0/me/media?'), 'paging.next keeps the version prefix')
            check(page['paging']['cursors']['after'] in url, 'paging.next carries cursors.after')
    check(len(seen) == 12 and pages == 3, f'paging 4+4+4 ({len(seen)} items, {pages} pages)')
    by_id = {m['id']: m for m in seen}
    check([m['id'] for m in seen[:5]] == [hidden['id'], late['id'], car['id'], vid['id'], img['id']],
          'newest first')
    allowed = set(fields.split(',')[:-1]) | {'children'}
    check(all(set(m) <= allowed for m in seen), 'answers carry only requested fields')
    check('caption' not in by_id[late['id']], 'a late caption is absent, not empty')
    check('media_url' not in by_id[hidden['id']] and 'caption' in by_id[hidden['id']],
          'no_media_url omits media_url only')
    v = by_id[vid['id']]
    check(v['media_type'] == 'VIDEO' and '.mp4' in v['media_url'] and 'thumbnail_url' in v,
          'VIDEO has media_url (mp4) and thumbnail_url')
    check('thumbnail_url' not in by_id[img['id']] and 'children' not in by_id[img['id']],
          'IMAGE has no thumbnail_url or children')
    c = by_id[car['id']]
    kids = c['children']['data']
    check([k['id'] for k in kids] == car['children'] and all(k['media_type'] == 'IMAGE' for k in kids),
          'CAROUSEL_ALBUM children in order')
    check(c['media_url'].split('?')[0] == kids[0]['media_url'].split('?')[0], 'album media_url is the first child')
    for m in seen:
        for key in ('media_url', 'thumbnail_url'):
            if key in m:
                qs = urllib.parse.parse_qs(urllib.parse.urlparse(m[key]).query)
                check(m[key].startswith(base + '/cdn/') and 'oe' in qs and 'oh' in qs, f'{key} is a signed CDN URL')
                break
        else:
            continue
        break
    node = js('GET', f'{base}/{car["id"]}?fields=id,media_type,children&access_token={t}')
    check(node['children']['data'] == [{'id': k} for k in car['children']], '/{media-id} node read, children ids')
    edge = js('GET', f'{base}/{car["id"]}/children?fields=media_url&access_token={t}')
    check(len(edge['data']) == 3 and 'media_url' in edge['data'][0], '/{media-id}/children edge')
    return img, vid, car, late, hidden, by_id


def graph_cdn(base, alice, t, img, vid, car, late, hidden, by_id):
    acc = f'{base}/_fake/accounts/{alice["id"]}'
    # A large video on an account of its own (alice's listing stays as checked below).
    vera = js('POST', f'{base}/_fake/accounts', {'username': 'vera.video'})
    vacc = f'{base}/_fake/accounts/{vera["id"]}'
    big = js('POST', f'{vacc}/media', {'caption': 'Long take #ed', 'media_type': 'VIDEO',
                                      'video_bytes': 3 << 20})
    f = js('GET', f'{vacc}/media/{big["id"]}')['files'][0]
    s, h, b = call('GET', f['url'], raw=True)
    check(s == 200 and len(b) == f['bytes'] == 3 << 20 and b[4:8] == b'ftyp'
          and hashlib.sha256(b).hexdigest() == f['sha256'], 'video_bytes makes a video of that size')
    for bad, why in (({'video_bytes': 5000}, 'on an image'),
                     ({'media_type': 'VIDEO', 'video_bytes': 10}, 'too small'),
                     ({'media_type': 'VIDEO', 'video_bytes': 'big'}, 'not a number')):
        check(call('POST', f'{vacc}/media', {'caption': 'x', **bad})[0] == 400,
              f'bad video_bytes ({why}) -> 400')
    js('POST', f'{base}/_fake/stats/reset')
    shas = set()
    for post, kinds in ((img, ['image']), (vid, ['video', 'thumbnail']), (car, ['image'] * 3),
                        (hidden, ['image'])):
        detail = js('GET', f'{acc}/media/{post["id"]}')
        check([f['kind'] for f in detail['files']] == kinds and detail['id'] == post['id'],
              f'{post["media_type"]} files {kinds}')
        for f in detail['files']:
            s, h, b = call('GET', f['url'], raw=True)
            check(s == 200 and h['Content-Type'] == f['content_type'] and int(h['Content-Length']) == len(b)
                  == f['bytes'] and hashlib.sha256(b).hexdigest() == f['sha256'],
                  f'{f["kind"]} bytes match (type, length, sha256)')
            if f['content_type'] == 'image/png':
                check(b[:8] == b'\x89PNG\r\n\x1a\n', 'a PNG signature')
                pos, idat = 8, b''
                while pos < len(b):
                    n, typ = struct.unpack('>I4s', b[pos:pos + 8])
                    data = b[pos + 8:pos + 8 + n]
                    crc_ok = zlib.crc32(typ + data) == struct.unpack('>I', b[pos + 8 + n:pos + 12 + n])[0]
                    check(crc_ok, f'PNG chunk {typ.decode()} CRC')
                    if typ == b'IDAT':
                        idat += data
                    pos += 12 + n
                check(len(zlib.decompress(idat)) == 64 * (1 + 64 * 3), 'PNG IDAT inflates (Adler-32 ok)')
            else:
                check(b[4:8] == b'ftyp' and b[8:12] == b'isom' and b'moov' in b and b'mdat' in b,
                      'an MP4 (ftyp isom, moov, mdat)')
            shas.add(f['sha256'])
        check(detail['files'][0]['exposed'] != (post is hidden), 'exposed says whether media_url is given')
    check(len(shas) == 7, 'every file has its own bytes')
    check(js('GET', f'{base}/_fake/stats')['calls'].get('GET /cdn') == 7, 'CDN downloads count as GET /cdn')
    s, h, b = call('HEAD', js('GET', f'{acc}/media/{img["id"]}')['files'][0]['url'], raw=True)
    check(s == 200 and b == b'' and int(h['Content-Length']) > 0, 'HEAD on the CDN: length, no body')
    u = by_id[img['id']]['media_url']
    check(call('GET', u.replace('oe=', 'oe=1'))[0] == 403, 'a tampered oe -> 403')
    time.sleep(TTL + 1.2)
    s, _, b = call('GET', u)
    check(s == 403 and b == 'URL signature expired', f'after --media-url-ttl-s the URL is dead ({s} {b!r})')
    fresh = js('GET', f'{base}/me/media?fields=id,caption,media_url&limit=5&access_token={t}')['data']
    fresh = {m['id']: m for m in fresh}
    check(call('GET', fresh[img['id']]['media_url'], raw=True)[0] == 200, 'a new answer issues a new URL')
    check(fresh[late['id']].get('caption') == 'Late tags #eatdifferent', 'the late caption appears after caption_after_s')
    n = len(hooks)
    edited = js('PATCH', f'{acc}/media/{img["id"]}', {'caption': 'Edited #EatDifferent #new'})
    check(edited['tags'] == ['eatdifferent', 'new'], 'PATCH re-reads tags from the caption')
    check(js('GET', f'{base}/{img["id"]}?fields=caption&access_token={t}')['caption'] == 'Edited #EatDifferent #new',
          'the edited caption is listed')
    check(call('PATCH', f'{acc}/media/{img["id"]}', {'caption': 5})[0] == 400, 'PATCH validates')
    check(call('PATCH', f'{acc}/media/404', {'caption': 'x'})[0] == 404, 'PATCH unknown media -> 404')
    time.sleep(0.3)
    check(len(hooks) == n == 0, 'graph posts and edits send no webhook without --media-webhooks')


def graph_faults(base, alice, t, bob_t, bob, vid):
    me = f'{base}/me?fields=id&access_token={t}'
    bob_me = f'{base}/me?fields=id&access_token={bob_t}'
    js('POST', f'{base}/_fake/faults', {'status': 500, 'count': 1})
    err, _ = graph_err('GET', me, 500)
    check(err['code'] == 2 and err['is_transient'], 'fault status 500 -> code 2, transient')
    js('POST', f'{base}/_fake/faults', {'rate_limit': True, 'count': 1})
    err, h = graph_err('GET', me, 403)
    check(err['code'] == 4 and json.loads(h['X-App-Usage'])['call_count'] == 100 and 'Retry-After' not in h,
          'rate_limit true -> 403 code 4, X-App-Usage 100, no Retry-After')
    js('POST', f'{base}/_fake/faults', {'rate_limit': 'app', 'count': 1})
    err, h = graph_err('GET', f'{base}/{APP_ID}/subscriptions?access_token={APP_ID}%7C{META_SECRET}', 403)
    check(err['code'] == 4, 'an app-level limit throttles app-token calls too')
    js('POST', f'{base}/_fake/faults', {'rate_limit': 'buc', 'account': bob['id'], 'regain_minutes': 7,
                                         'count': 1})
    check(call('GET', me)[0] == 200, 'a BUC fault for bob leaves alice alone')
    check(js('GET', f'{base}/_fake/faults')['pending'] == 1, '... and alice did not consume it')
    err, h = graph_err('GET', bob_me, 400)
    usage = json.loads(h['X-Business-Use-Case-Usage'])
    check(err['code'] == 80002 and usage[bob['id']][0]['call_count'] == 100
          and usage[bob['id']][0]['estimated_time_to_regain_access'] == 7 and 'Retry-After' not in h,
          'rate_limit buc -> 400 code 80002, X-Business-Use-Case-Usage with regain minutes')
    js('POST', f'{base}/_fake/faults', {'rate_limit': 'buc', 'count': 1})
    check(call('POST', f'{base}/oauth/access_token', form={})[0] == 400
          and js('GET', f'{base}/_fake/faults')['pending'] == 1, 'a BUC limit skips calls without an account')
    check(graph_err('GET', me)[0]['code'] == 80002, 'BUC without account hits the next account call')
    js('POST', f'{base}/_fake/faults', {'error_code': 10, 'count': 1})
    err, _ = graph_err('GET', me, 400)
    check(err['code'] == 10 and err['message'].startswith('(#10)'), 'error_code 10 -> permission error')
    js('POST', f'{base}/_fake/faults', {'error_code': 190, 'error_subcode': 460, 'status': 401, 'count': 1})
    err, _ = graph_err('GET', me, 401)
    check(err['code'] == 190 and err['error_subcode'] == 460, 'error_code 190 + subcode + status')
    js('POST', f'{base}/_fake/faults', {'malformed': True, 'count': 1})
    s, _, b = call('GET', me)
    try:
        json.loads(b)
        bad = False
    except ValueError:
        bad = True
    check(s == 200 and bad, 'fault malformed -> 200 non-JSON')
    js('POST', f'{base}/_fake/faults', {'delay_ms': 700, 'count': 1})
    t0 = time.time()
    check(call('GET', me)[0] == 200 and time.time() - t0 >= 0.65, 'fault delay_ms 700')
    files = js('GET', f'{base}/_fake/accounts/{alice["id"]}/media/{vid["id"]}')['files']
    js('POST', f'{base}/_fake/faults', {'target': 'cdn', 'status': 503, 'count': 1})
    check(call('GET', me)[0] == 200, 'a cdn fault leaves API calls alone')
    check(call('GET', files[0]['url'])[0] == 503, 'target cdn: the download fails')
    js('POST', f'{base}/_fake/faults', {'target': 'cdn', 'malformed': True, 'account': bob['id'], 'count': 1})
    s, _, b = call('GET', files[0]['url'], raw=True)
    check(s == 200 and hashlib.sha256(b).hexdigest() == files[0]['sha256'], "bob's cdn fault spares alice's files")
    js('POST', f'{base}/_fake/faults', {'target': 'cdn', 'malformed': True, 'count': 1})
    s, _, b = call('GET', files[0]['url'], raw=True)
    check(s == 200 and len(b) == files[0]['bytes'] // 2, 'cdn malformed -> truncated file')
    graph_error_faults(base, me)
    graph_holds(base, me, bob_me, bob)
    for bad in ({'rate_limit': 'later'}, {'status': 99}, {'account': '404'}, {'target': 'disk'},
                {'target': 'cdn', 'rate_limit': 'app'}, {'rate_limit': 'app', 'error_code': 4},
                {'error_subcode': 3}, {'count': -1}, {'bogus': 1}, {'error_code': 0},
                {'is_transient': 'yes'}, {'regain_minutes': 'soon'}, {'regain_minutes': -0.5},
                {'hold': True}, {'hold': True, 'regain_minutes': 0}, {'hold': 1, 'regain_minutes': 1},
                {'hold': True, 'regain_minutes': 1, 'count': 3}, {'target': 'cdn', 'is_transient': True}):
        check(call('POST', f'{base}/_fake/faults', bad)[0] == 400, f'bad fault {bad} -> 400')
    check(js('POST', f'{base}/_fake/faults', {'status': 503, 'count': 3})['pending'] == 3, 'pending 3')
    check(js('POST', f'{base}/_fake/faults', {'count': 0})['pending'] == 0, 'count 0 clears')
    check(call('GET', me)[0] == 200, 'answers normally after clearing')


def graph_error_faults(base, me):
    """Any graph code on any status, is_transient as the test says."""
    for fault, status, code, transient in (
            ({'error_code': 1, 'status': 500, 'is_transient': False}, 500, 1, False),
            ({'error_code': 368, 'is_transient': True}, 400, 368, True),
            ({'error_code': -2, 'status': 503}, 503, -2, None),
            ({'error_code': 100}, 400, 100, None),
            ({'error_code': 2}, 400, 2, True),
            ({'status': 400, 'is_transient': True}, 400, 1, True),
            ({'status': 502, 'is_transient': False}, 502, 2, False),
            ({'rate_limit': 'app', 'is_transient': False}, 403, 4, False)):
        js('POST', f'{base}/_fake/faults', dict(fault, count=1))
        err, _ = graph_err('GET', me, status)
        check(err['code'] == code and err.get('is_transient') == transient,
              f'fault {fault} -> HTTP {status}, code {code}, is_transient {transient}: {err}')


def graph_holds(base, me, bob_me, bob):
    """Fractional regain_minutes, and holds that answer 80002 until they end."""
    def regain(h, who):
        return json.loads(h['X-Business-Use-Case-Usage'])[who][0]['estimated_time_to_regain_access']

    js('POST', f'{base}/_fake/faults', {'rate_limit': 'buc', 'account': bob['id'], 'regain_minutes': 0.05})
    err, h = graph_err('GET', bob_me, 400)
    check(err['code'] == 80002 and regain(h, bob['id']) == 0.05, 'regain_minutes 0.05 -> header carries 0.05')
    check(call('GET', bob_me)[0] == 200, 'without hold a fault answers count calls only')
    r = js('POST', f'{base}/_fake/faults', {'rate_limit': 'buc', 'account': bob['id'], 'regain_minutes': 0.03,
                                             'hold': True})
    check(r['pending'] == 1 and r['hold_minutes'] == 0.03, f'hold armed {r}')
    check(js('GET', f'{base}/_fake/faults')['held_until_ms'] == 0, 'a hold starts at its first call')
    t0 = time.time()
    seen = []
    for _ in range(3):
        err, h = graph_err('GET', bob_me, 400)
        seen.append(regain(h, bob['id']))
        check(err['code'] == 80002 and call('GET', me)[0] == 200, 'held: bob gets 80002 on every call, alice passes')
    until = js('GET', f'{base}/_fake/faults')['held_until_ms']
    check(abs(until / 1000 - (t0 + 1.8)) < 0.5 and js('GET', f'{base}/_fake/faults')['pending'] == 1,
          f'held_until_ms is the first call + 1.8 s ({until})')
    check(seen[0] == 0.03 and all(0 < x <= 0.03 for x in seen) and seen == sorted(seen, reverse=True),
          f'the header counts the time left down, in minutes ({seen})')
    time.sleep(max(0.0, t0 + 1.9 - time.time()))
    check(call('GET', bob_me)[0] == 200 and js('GET', f'{base}/_fake/faults') ==
          {'pending': 0, 'pending_cdn': 0, 'held_until_ms': 0, 'held_until_ms_cdn': 0}, 'the hold ends on time')
    # A BUC hold without an account holds the first account it strikes.
    js('POST', f'{base}/_fake/faults', {'rate_limit': 'buc', 'regain_minutes': 0.01, 'hold': True})
    check(graph_err('GET', me, 400)[0]['code'] == 80002 and call('GET', bob_me)[0] == 200
          and graph_err('GET', me, 400)[0]['code'] == 80002, 'a BUC hold holds the first account it strikes only')
    time.sleep(0.7)
    check(call('GET', me)[0] == 200, 'and lets it go after regain_minutes')


FIELDS = ['comments', 'live_comments', 'mentions', 'message_echoes', 'message_reactions', 'messages',
          'messaging_handover', 'messaging_optins', 'messaging_policy_enforcement', 'messaging_postbacks',
          'messaging_referral', 'messaging_seen', 'response_feedback', 'standby', 'story_insights']


def graph_subscriptions(base, alice, t, bob_t, hook_port):
    callback = f'http://127.0.0.1:{hook_port}/hooks/instagram'
    meta_token = f'{APP_ID}%7C{META_SECRET}'
    form = {'object': 'instagram', 'callback_url': callback, 'fields': 'comments,mentions',
            'verify_token': VERIFY, 'access_token': f'{APP_ID}|wrong'}
    check(graph_err('POST', f'{base}/{APP_ID}/subscriptions', form=form)[0]['code'] == 190, 'bad app token -> 190')
    form['access_token'] = f'{APP_ID}|{SECRET}'
    check(graph_err('POST', f'{base}/{APP_ID}/subscriptions', form=form)[0]['code'] == 190,
          'the Instagram app secret in the app token -> 190: it takes the Meta App Secret')
    form['access_token'] = f'1234|{META_SECRET}'
    check(graph_err('POST', f'{base}/{APP_ID}/subscriptions', form=form)[0]['code'] == 190,
          'the app token is {meta app id}|{meta secret}, not the client id')
    check(graph_err('POST', f'{base}/1234/subscriptions', form=form)[0]['code'] == 100, 'another app id -> 100')
    form['access_token'] = f'{APP_ID}|{META_SECRET}'
    challenges.clear()
    err, _ = graph_err('POST', f'{base}/v23.0/{APP_ID}/subscriptions', form=dict(form, verify_token='nope'))
    check(err['code'] == 2200 and challenges and challenges[0]['hub.verify_token'] == ['nope'],
          'a refused hub.challenge -> 2200')
    err, _ = graph_err('POST', f'{base}/{APP_ID}/subscriptions',
                       form=dict(form, callback_url=f'http://127.0.0.1:{hook_port}/missing?x=1'))
    check(err['code'] == 2200, 'a callback that does not echo -> 2200')
    check(graph_err('POST', f'{base}/{APP_ID}/subscriptions', form=dict(form, fields='message_edit'))[0]['code']
          == 100, 'message_edit is not a field of the instagram object')
    check(js('POST', f'{base}/v23.0/{APP_ID}/subscriptions', form=form) == {'success': True},
          'app subscription created after the challenge echo')
    c = challenges[-1]
    check(c['hub.mode'] == ['subscribe'] and c['hub.challenge'][0].isdigit(), 'challenge GET shape')
    lst = js('GET', f'{base}/{APP_ID}/subscriptions?access_token={meta_token}')['data']
    check(lst == [{'object': 'instagram', 'callback_url': callback, 'active': True,
                   'fields': [{'name': 'comments', 'version': 'v23.0'},
                              {'name': 'mentions', 'version': 'v23.0'}]}], f'subscription list {lst}')

    # Accounts opt in; the fields they name are checked, yet they get the app's.
    err, _ = graph_err('POST', f'{base}/me/subscribed_apps?subscribed_fields=comments,mentions&access_token={bob_t}')
    check(err['code'] == 10 and 'instagram_business_manage_comments' in err['message'],
          'subscribed_apps comments without the scope -> code 10')
    check(js('GET', f'{base}/me/subscribed_apps?access_token={t}') == {'data': []}, 'not enabled yet')
    check(graph_err('POST', f'{base}/me/subscribed_apps?access_token={t}')[0]['code'] == 100,
          'subscribed_fields is required')
    err, _ = graph_err('POST', f'{base}/me/subscribed_apps?subscribed_fields=likes&access_token={t}')
    check(err['code'] == 100 and 'message_echoes' in err['message'] and 'message_edit' not in err['message'],
          f'unknown webhook field -> 100, naming the fields: {err["message"]}')
    check(js('POST', f'{base}/me/subscribed_apps?subscribed_fields=mentions&access_token={t}')
          == {'success': True}, 'subscribed_apps with mentions')
    got = js('GET', f'{base}/me/subscribed_apps?access_token={t}')['data']
    check(got == [{'id': APP_ID, 'subscribed_fields': ['comments', 'mentions']}],
          f'an enabled account receives every field of the app, not the ones it named: {got}')
    info = js('GET', f'{base}/_fake/accounts/{alice["id"]}')
    check(info['subscribed'] and info['subscribed_fields'] == ['comments', 'mentions'], 'control API agrees')
    _, every = link(base, 'instagram_business_basic,instagram_business_manage_comments,'
                          'instagram_business_manage_messages,instagram_business_manage_insights', 'carol')
    check(js('POST', f'{base}/me/subscribed_apps?subscribed_fields={",".join(FIELDS)}&access_token={every}')
          == {'success': True}, "every field of DESIGN §9's list is accepted with its scopes")
    for field, scope in (('messages', 'instagram_business_manage_messages'),
                         ('response_feedback', 'instagram_business_manage_messages'),
                         ('story_insights', 'instagram_business_manage_insights')):
        err, _ = graph_err('POST', f'{base}/me/subscribed_apps?subscribed_fields={field}&access_token={t}')
        check(err['code'] == 10 and scope in err['message'], f'{field} needs {scope}')
    check(js('DELETE', f'{base}/me/subscribed_apps?access_token={t}') == {'success': True}
          and js('GET', f'{base}/me/subscribed_apps?access_token={t}') == {'data': []}, 'DELETE subscribed_apps')
    check(js('DELETE', f'{base}/{APP_ID}/subscriptions?object=instagram&access_token={meta_token}')
          == {'success': True}, 'DELETE ?object=instagram')
    check(js('GET', f'{base}/v23.0/{APP_ID}/subscriptions?access_token={meta_token}')['data'] == [],
          'nothing left')


def graph_messages_and_tests(base, alice):
    """messaging[] entries and the App Dashboard's test payloads, signed with the Meta secret."""
    def signed_meta(hdr, body):
        return hdr.get('X-Hub-Signature-256') == 'sha256=' + hmac.new(META_SECRET.encode(), body,
                                                                      hashlib.sha256).hexdigest()
    acc = f'{base}/_fake/accounts/{alice["id"]}'
    n = len(hooks)
    r = js('POST', f'{acc}/message', {'text': 'hi there', 'sender': '1234567890123456'})
    hdr, body = hooks[-1]
    upd = json.loads(body)
    entry = upd['entry'][0]
    ev = entry['messaging'][0]
    check(r['status'] == 200 and len(hooks) == n + 1 and r['update'] == upd, 'message delivered')
    check(upd['object'] == 'instagram' and entry['id'] == alice['id'] and set(entry) == {'id', 'time', 'messaging'}
          and abs(entry['time'] / 1000 - time.time()) < 5, f'messaging entry shape, time in ms {entry}')
    check(ev['sender'] == {'id': '1234567890123456'} and ev['recipient'] == {'id': alice['id']}
          and ev['timestamp'] == entry['time'] and ev['message']['text'] == 'hi there'
          and ev['message']['mid'], f'messaging event {ev}')
    check(signed_meta(hdr, body), 'message signed with the Meta App Secret (--sign-with default)')
    check(call('POST', f'{acc}/message', {'txt': 'x'})[0] == 400, 'message validates its body')
    js('POST', f'{acc}/message')
    check(json.loads(hooks[-1][1])['entry'][0]['messaging'][0]['message']['text'], 'message text has a default')
    for field in FIELDS:
        r = js('POST', f'{base}/_fake/test-webhook', {'field': field})
        hdr, body = hooks[-1]
        upd = json.loads(body)
        entry = upd['entry'][0]
        check(r['status'] == 200 and upd['object'] == 'instagram' and entry['id'] == '0'
              and entry['changes'][0]['field'] == field and entry['changes'][0]['value']
              and signed_meta(hdr, body), f'dashboard test payload for {field}: entry id "0", signed')
    value = json.loads(hooks[-len(FIELDS)][1])['entry'][0]['changes'][0]['value']
    check(value['text'] == 'This is an example.' and value['media']['media_product_type'] == 'FEED',
          "comments test payload is Meta's sample")
    for bad in ({'field': 'message_edit'}, {}, {'field': 5}, {'field': 'comments', 'id': 1}):
        check(call('POST', f'{base}/_fake/test-webhook', bad)[0] == 400, f'test-webhook {bad} -> 400')


def graph_video_carousel_and_delete(base, alice, t):
    acc = f'{base}/_fake/accounts/{alice["id"]}'
    kids = [{'media_type': 'VIDEO'}, {'media_type': 'IMAGE'}, {'media_type': 'VIDEO'}]
    car = js('POST', f'{acc}/media', {'caption': 'Clips #ed', 'children': kids})
    check(car['media_type'] == 'CAROUSEL_ALBUM' and car['child_types'] == ['VIDEO', 'IMAGE', 'VIDEO'],
          'children as a list makes a carousel with those types')
    for bad in ([{'media_type': 'VIDEO'}], [{'media_type': 'CAROUSEL_ALBUM'}, {'media_type': 'IMAGE'}],
                ['VIDEO', 'IMAGE'], [{'media_type': 'VIDEO', 'x': 1}, {'media_type': 'IMAGE'}],
                [{'media_type': 'IMAGE'}] * 11, 'two'):
        check(call('POST', f'{acc}/media', {'children': bad})[0] == 400, f'bad children {bad!r:.40} -> 400')
    f = 'media_type,media_url,children{id,media_type,media_url,thumbnail_url}'
    node = js('GET', f'{base}/{car["id"]}?fields={q(f)}&access_token={t}')
    ch = node['children']['data']
    check([c['media_type'] for c in ch] == ['VIDEO', 'IMAGE', 'VIDEO'] and [c['id'] for c in ch] == car['children'],
          'children carry their media_type')
    check(all('.mp4' in ch[i]['media_url'] and '/thumbnail.png' in ch[i]['thumbnail_url'] for i in (0, 2))
          and 'thumbnail_url' not in ch[1] and '/image.png' in ch[1]['media_url'],
          'video children: media_url an MP4 and thumbnail_url; image children: no thumbnail_url')
    one = js('GET', f'{base}/{car["children"][2]}?fields=media_type,thumbnail_url&access_token={t}')
    check(one['media_type'] == 'VIDEO' and 'thumbnail_url' in one, 'a video child read on its own')
    detail = js('GET', f'{acc}/media/{car["id"]}')
    check([x['kind'] for x in detail['files']] == ['video', 'thumbnail', 'image', 'video', 'thumbnail'],
          'files: each video child has its video and thumbnail')
    for x in detail['files']:
        s, h, b = call('GET', x['url'], raw=True)
        check(s == 200 and hashlib.sha256(b).hexdigest() == x['sha256'] and h['Content-Type'] == x['content_type'],
              f'{x["kind"]} of a carousel child downloads')
    before = js('GET', acc)['media_count']

    s, _, b = call('DELETE', f'{acc}/media/{car["id"]}')
    check(s == 200 and json.loads(b) == {'deleted': car['id']}, 'DELETE a post')
    ids = [m['id'] for m in js('GET', f'{base}/me/media?limit=100&access_token={t}')['data']]
    check(car['id'] not in ids and js('GET', acc)['media_count'] == before - 1, 'it leaves the listing')
    for node_id in (car['id'], car['children'][0]):
        err, _ = graph_err('GET', f'{base}/{node_id}?fields=id,caption&access_token={t}')
        check(err['code'] == 100 and err['error_subcode'] == 33, f'GET /{node_id} of a deleted post -> 100/33')
    check(graph_err('GET', f'{base}/{car["id"]}/children?access_token={t}')[0]['code'] == 100, 'children edge too')
    check(call('GET', detail['files'][0]['url'])[0] == 404, 'its files are gone from the CDN')
    check(call('DELETE', f'{acc}/media/{car["id"]}')[0] == 404 and call('GET', f'{acc}/media/{car["id"]}')[0] == 404,
          'a deleted post is unknown to the control API')


def graph_mention_and_callbacks(base, alice, t):
    acc = f'{base}/_fake/accounts/{alice["id"]}'
    n = len(hooks)
    r = js('POST', f'{acc}/mention', {'media_id': '17918195224117851'})
    check(r['status'] == 200 and len(hooks) == n + 1, f'mention delivered, igbridge said {r["status"]}')
    hdr, body = hooks[-1]
    upd = json.loads(body)
    entry = upd['entry'][0]
    check(hdr.get('X-Hub-Signature-256') == 'sha256=' + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest(),
          'mention signed with X-Hub-Signature-256, by the Meta App Secret')
    check(upd['object'] == 'instagram' and entry['id'] == alice['id']
          and entry['changes'][0]['field'] == 'mentions'
          and entry['changes'][0]['value']['media_id'] == '17918195224117851'
          and 'comment_id' in entry['changes'][0]['value'], 'mentions update shape, entry id = professional id')
    check(call('POST', f'{acc}/mention', {'media': 1})[0] == 400, 'mention validates its body')

    r = js('POST', f'{acc}/deauthorize', {'issued_at': 1763641200})
    path, form, ctype = callbacks[-1]
    check(path == '/deauthorize' and ctype == 'application/x-www-form-urlencoded' and r['status'] == 200
          and r['body'] == {}, 'deauthorize delivered as a form')
    sig, payload = form['signed_request'][0].split('.')
    want = base64.urlsafe_b64encode(hmac.new(META_SECRET.encode(), payload.encode(), hashlib.sha256).digest())
    check(sig == want.decode().rstrip('=') and '=' not in payload,
          'signed_request signature (base64url, no padding), by the Meta App Secret')
    check(json.loads(b64url_decode(payload)) == {'algorithm': 'HMAC-SHA256', 'issued_at': 1763641200,
                                                 'user_id': alice['app_scoped_id']},
          'signed_request payload carries the app-scoped id and issued_at')
    check(r['revoked'] >= 1 and js('GET', acc)['tokens'] == [], 'deauthorize revokes the tokens')
    check(graph_err('GET', f'{base}/me?access_token={t}')[0]['code'] == 190, 'a deauthorized token -> 190')
    r = js('POST', f'{acc}/data-deletion')
    path, form, _ = callbacks[-1]
    payload = json.loads(b64url_decode(form['signed_request'][0].split('.')[1]))
    check(path == '/deletion' and r['body']['confirmation_code'] == 'C1' and abs(payload['issued_at'] - time.time()) < 5,
          'data-deletion delivered; answer carries igbridge JSON')
    r = js('POST', f'{acc}/data-deletion', {'user_id': alice['id'], 'revoke': False})
    payload = json.loads(b64url_decode(callbacks[-1][1]['signed_request'][0].split('.')[1]))
    check(payload['user_id'] == alice['id'], 'user_id override')
    check(call('POST', f'{acc}/deauthorize', {'issued_at': 'yesterday'})[0] == 400, 'bad issued_at -> 400')


def graph_token_age(base, alice):
    acc = f'{base}/_fake/accounts/{alice["id"]}'
    _, t = link(base, 'instagram_business_basic', 'alice')
    refresh = f'{base}/refresh_access_token?grant_type=ig_refresh_token&access_token='
    err, _ = graph_err('GET', refresh + t)
    check(err['code'] == 100 and '24 hours' in err['message'], 'refresh of a token younger than 24 h -> 100')
    aged = js('POST', f'{acc}/age', {'seconds': 86400 + 60})
    check(aged['aged'] >= 1, 'age moves the tokens back')
    det = [d for d in js('GET', acc)['token_details'] if d['token'] == t][0]
    check(det['expires_at'] - det['issued_at'] == 5184000 and time.time() - det['issued_at'] > 86400,
          'issued_at and expires_at both moved')
    rf = js('GET', refresh + t)
    check(rf['expires_in'] == 5184000 and rf['access_token'] != t, 'refresh after 24 h: a new 60-day token')
    check(call('POST', f'{acc}/age', {'seconds': 0})[0] == 400, 'age validates seconds')
    js('POST', f'{acc}/age', {'seconds': 5184000})
    err, _ = graph_err('GET', f'{base}/me?access_token={t}')
    check(err['code'] == 190 and err['error_subcode'] == 463, 'after 60 days: expired -> 190/463')
    check(graph_err('GET', refresh + t)[0]['code'] == 190, 'an expired token cannot be refreshed')
    check(t not in js('GET', acc)['tokens'] and rf['access_token'] not in js('GET', acc)['tokens'],
          'expired tokens are not listed as valid')


def graph_bulk(base):
    """Linked accounts in bulk (benchmarks): each with a valid long-lived token."""
    made = js('POST', f'{base}/_fake/accounts/bulk', {'prefix': 'seed', 'from': 7, 'count': 3})['accounts']
    check([a['username'] for a in made] == ['seed7', 'seed8', 'seed9'], 'bulk: names prefix+number')
    for a in made:
        me = js('GET', f'{base}/me?fields=user_id,username&access_token={a["token"]}')
        check(me['user_id'] == a['id'] and me['id'] == a['app_scoped_id'] and me['username'] == a['username'],
              'bulk: the token is the account\'s')
        check(a['expires_at'] - a['issued_at'] == 5184000, 'bulk: long-lived tokens')
    again = js('POST', f'{base}/_fake/accounts/bulk', {'prefix': 'seed', 'from': 8, 'count': 1})['accounts'][0]
    check(again['id'] == made[1]['id'] and again['token'] != made[1]['token'], 'bulk: finds existing accounts')
    check(len(js('GET', f'{base}/_fake/accounts/{again["id"]}')['tokens']) == 2, 'bulk: tokens add up')
    check(call('POST', f'{base}/_fake/accounts/bulk', {'prefix': 'seed', 'count': 0})[0] == 400, 'bulk: count 1+')
    check(call('POST', f'{base}/_fake/accounts/bulk', {'prefix': 'bad-', 'count': 1})[0] == 400, 'bulk: prefix')


def graph(hook_port):
    p, base = start('graph', hook_port, ['--meta-app-id', APP_ID, '--meta-app-secret', META_SECRET,
                                         '--media-url-ttl-s', str(TTL),
                                         '--deauthorize-url', f'http://127.0.0.1:{hook_port}/deauthorize',
                                         '--data-deletion-url', f'http://127.0.0.1:{hook_port}/deletion'])
    try:
        alice, tok, t = graph_ids_and_scopes(base)
        bob = js('POST', f'{base}/_fake/accounts', {'username': 'bob'})
        _, bob_t = link(base, 'instagram_business_basic', 'bob')
        img, vid, car, late, hidden, by_id = graph_media(base, alice, t)
        graph_cdn(base, alice, t, img, vid, car, late, hidden, by_id)
        graph_faults(base, alice, t, bob_t, bob, vid)
        graph_subscriptions(base, alice, t, bob_t, hook_port)
        acc = js('GET', f'{base}/_fake/accounts/{alice["id"]}')
        check(t in acc['tokens'] and acc['app_scoped_id'] == alice['app_scoped_id'], 'account lists its valid tokens')
        stats = js('GET', f'{base}/_fake/stats')['calls']
        check(stats.get('GET /me/media') == 1 and stats.get('HEAD /cdn') == 1, f'stats keys {stats}')
        graph_video_carousel_and_delete(base, alice, t)
        graph_messages_and_tests(base, alice)
        graph_mention_and_callbacks(base, alice, t)
        graph_token_age(base, alice)
        graph_bulk(base)
        check(js('POST', f'{base}/_fake/accounts/{bob["id"]}/revoke')['revoked'] == 2, "revoke: both of bob's tokens")
        check(graph_err('GET', f'{base}/me?access_token={bob_t}')[0]['code'] == 190, 'revoked token -> 190')
        js('POST', f'{base}/_fake/stats/reset')
        check(js('GET', f'{base}/_fake/stats') == {'calls': {}}, 'stats reset')
        check(js('GET', f'{base}/_fake/accounts/404', status=404)['error'], 'unknown account 404')
        check(call('GET', f'{base}/')[0] == 200, 'demo page renders')
    finally:
        p.terminate()
        check(p.wait(5) == 0, 'graph: clean exit on SIGTERM')


def graph_media_webhooks(hook_port):
    """The demo's setup: one secret (no --meta-app-secret) serves as the app
    token's secret and signs, as before the two apps were told apart."""
    hooks.clear()
    p, base = start('graph', hook_port, ['--media-webhooks'])
    try:
        alice = js('POST', f'{base}/_fake/accounts', {'username': 'alice'})
        mid = js('POST', f'{base}/_fake/accounts/{alice["id"]}/media', {'caption': 'Demo #ed'})['id']
        deadline = time.time() + 5
        while not hooks and time.time() < deadline:
            time.sleep(0.05)
        hdr, body = hooks[-1]
        check(json.loads(body)['entry'][0]['changes'][0]['value']['media_id'] == mid
              and hdr.get('X-Hub-Signature-256') == 'sha256=' + hmac.new(SECRET.encode(), body,
                                                                         hashlib.sha256).hexdigest(),
              '--media-webhooks: a post sends an update signed with the client secret (demo only)')
        check(js('GET', f'{base}/1234/subscriptions?access_token=1234%7C{SECRET}') == {'data': []},
              'without --meta-app-secret the app token is {app id}|{client secret}')
        check(graph_err('GET', f'{base}/1234/subscriptions?access_token=1234%7Cother')[0]['code'] == 190,
              '... and nothing else')
        s, _, page = call('GET', f'{base}/')
        check('--media-webhooks' in page, 'the demo page says the webhook is a demo convenience')
        s, h, _ = call('POST', f'{base}/_fake/demo/mention', form={'account': alice['id']})
        check(s == 302, 'demo mention button')
    finally:
        p.terminate()
        check(p.wait(5) == 0, 'graph --media-webhooks: clean exit')


def graph_flags(hook_port):
    """The documented shapes behind their flags, the Instagram secret signing
    with a Meta secret present, and Cancel keeping state."""
    hooks.clear()
    callbacks.clear()
    p, base = start('graph', hook_port, ['--app-id', APP_ID, '--meta-app-secret', META_SECRET,
                                         '--sign-with', 'instagram', '--wrapped-token', '--wrapped-me',
                                         '--cancel-with-state',
                                         '--deauthorize-url', f'http://127.0.0.1:{hook_port}/deauthorize'])
    try:
        code, _ = authorize(base, 'instagram_business_basic', 'dora')
        dora = js('GET', f'{base}/_fake/accounts')[0]
        tok = exchange(base, code)
        check(list(tok) == ['data'] and tok['data'][0]['user_id'] == dora['app_scoped_id']
              and tok['data'][0]['permissions'] == 'instagram_business_basic',
              '--wrapped-token: {"data":[{...}]} with a string user_id')
        t = tok['data'][0]['access_token']
        me = js('GET', f'{base}/me?fields=user_id,username&access_token={t}')
        check(me == {'data': [{'user_id': dora['id'], 'username': 'dora', 'id': dora['app_scoped_id']}]},
              f'--wrapped-me: /me in data[] {me}')
        s, h, _ = call('POST', f'{base}/oauth/authorize/decide',
                       form={'client_id': '1234', 'redirect_uri': 'http://127.0.0.1:9/cb', 'response_type': 'code',
                             'scope': 'instagram_business_basic', 'state': 'st9', 'decision': 'deny'})
        dq = urllib.parse.parse_qs(urllib.parse.urlparse(h['Location']).query)
        check(s == 302 and dq['state'] == ['st9'] and dq['error'] == ['access_denied'],
              '--cancel-with-state: Deny keeps state')
        r = js('POST', f'{base}/_fake/accounts/{dora["id"]}/mention')
        hdr, body = hooks[-1]
        check(r['status'] == 200 and hdr['X-Hub-Signature-256'] == 'sha256=' + hmac.new(
            SECRET.encode(), body, hashlib.sha256).hexdigest(), '--sign-with instagram: webhooks by the client secret')
        js('POST', f'{base}/_fake/accounts/{dora["id"]}/deauthorize')
        sig, payload = callbacks[-1][1]['signed_request'][0].split('.')
        want = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest())
        check(sig == want.decode().rstrip('='), '--sign-with instagram: signed_requests by the client secret')
        check(graph_err('GET', f'{base}/{APP_ID}/subscriptions?access_token={APP_ID}%7C{SECRET}')[0]['code'] == 190
              and js('GET', f'{base}/{APP_ID}/subscriptions?access_token={APP_ID}%7C{META_SECRET}') == {'data': []},
              'the app token still takes the Meta secret whoever signs')
    finally:
        p.terminate()
        check(p.wait(5) == 0, 'graph flags: clean exit')


def usage():
    """The usage text names every flag options.cpp parses; bad combinations exit 2."""
    src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'options.cpp')).read()
    flags = set(re.findall(r'"(--[a-z0-9-]+)"', src))
    r = subprocess.run([BIN, '--help'], capture_output=True, text=True)
    missing = sorted(f for f in flags if f not in r.stderr)
    check(r.returncode == 2 and len(flags) >= 18 and not missing, f'usage lists every flag (missing {missing})')
    r = subprocess.run([BIN, '--listen', '127.0.0.1:0', '--dialect', 'graph', '--client-id', '1',
                        '--client-secret', 's', '--sign-with', 'meta'], capture_output=True, text=True)
    check(r.returncode == 2 and '--meta-app-secret' in r.stderr.splitlines()[0], '--sign-with meta needs a Meta secret')
    r = subprocess.run([BIN, '--listen', '127.0.0.1:0', '--dialect', 'graph', '--client-id', '1',
                        '--client-secret', 's', '--sign-with', 'facebook'], capture_output=True, text=True)
    check(r.returncode == 2 and 'instagram or meta' in r.stderr, '--sign-with takes instagram or meta')


# -- legacy ---------------------------------------------------------------------

def legacy(hook_port):
    hooks.clear()
    p, base = start('legacy', hook_port)
    try:
        code, frag = authorize(base, 'basic', 'alice_cooks')
        check(frag == '', 'legacy: no #_')
        tok = exchange(base, code)
        uid, t = tok['user']['id'], tok['access_token']
        check(tok['user']['username'] == 'alice_cooks', 'legacy token shape')
        other = js('POST', f'{base}/_fake/accounts', {'username': 'bob'})['id']
        for i in range(5):
            js('POST', f'{base}/_fake/accounts/{uid}/media', {'caption': f'Quinoa {i} #EatDifferent #lunch'})
        js('POST', f'{base}/_fake/accounts/{uid}/media', {'caption': None, 'tags': ['#ED']})
        url, seen = f'{base}/v1/users/{uid}/media/recent?access_token={t}&count=4', []
        while url:
            page = js('GET', url)
            check(page['meta']['code'] == 200, 'meta.code 200')
            seen += page['data']
            url = page['pagination'].get('next_url')
        check(len(seen) == 6 and seen[0]['caption'] is None and seen[0]['tags'] == ['ed'], 'paging 4+2, null caption')
        check(seen[1]['tags'] == ['eatdifferent', 'lunch'] and seen[1]['caption']['text'].startswith('Quinoa 4'),
              'tags from the caption')
        check(call('GET', seen[1]['images']['standard_resolution']['url'])[0] == 200, 'legacy images serve')
        js('POST', f'{base}/_fake/accounts/{uid}/media',
           {'caption': 'Clips', 'children': [{'media_type': 'VIDEO'}, {'media_type': 'IMAGE'}]})
        item = js('GET', f'{base}/v1/users/{uid}/media/recent?access_token={t}&count=1')['data'][0]
        kids = item['carousel_media']
        check(item['type'] == 'carousel' and [k['type'] for k in kids] == ['video', 'image']
              and call('GET', kids[0]['videos']['standard_resolution']['url'])[0] == 200
              and 'videos' not in kids[1], 'legacy carousel with a video child')
        s, h, _ = call('POST', f'{base}/oauth/authorize/decide',
                       form={'client_id': '1234', 'redirect_uri': 'http://127.0.0.1:9/cb', 'response_type': 'code',
                             'scope': 'basic', 'state': 'st8', 'decision': 'deny'})
        check(s == 302 and 'error_reason=user_denied' in h['Location'] and 'state' not in h['Location'],
              'legacy Deny: no state either')
        check(exchange(base, code, status=400)['error_type'] == 'OAuthException', 'legacy token errors stay flat')
        check(call('POST', f'{base}/_fake/faults', {'error_code': 2, 'is_transient': True})[0] == 400,
              'is_transient is graph only')
        err = js('GET', f'{base}/v1/users/{other}/media/recent?access_token={t}', status=400)
        check(err['meta']['error_type'] == 'OAuthAccessTokenException', 'token of another user')
        murl = f'{base}/v1/users/{uid}/media/recent?access_token={t}'
        js('POST', f'{base}/_fake/faults', {'status': 500, 'count': 1})
        s, _, b = call('GET', murl)
        check(s == 500 and 'meta' in json.loads(b), 'legacy fault status 500 with envelope')
        js('POST', f'{base}/_fake/faults', {'rate_limit': True, 'count': 1})
        s, h, _ = call('GET', murl)
        check(s == 429 and h.get('Retry-After') == '30', 'legacy rate_limit -> 429 Retry-After: 30')
        check(call('POST', f'{base}/_fake/faults', {'rate_limit': 'buc'})[0] == 400, 'no BUC in legacy')
        form = {'client_id': '1234', 'client_secret': SECRET, 'object': 'user', 'aspect': 'media',
                'callback_url': f'http://127.0.0.1:{hook_port}/hooks/instagram', 'verify_token': VERIFY}
        sub = js('POST', f'{base}/v1/subscriptions', form=form)
        check(sub['data']['type'] == 'subscription', 'legacy subscription verified')
        check(len(js('GET', f'{base}/v1/subscriptions?client_id=1234&client_secret={SECRET}')['data']) == 1, 'list')
        js('DELETE', f'{base}/v1/subscriptions?client_id=1234&client_secret={SECRET}&object=all')
        time.sleep(0.5)
        hdr, body = hooks[-1]
        check(hdr.get('X-Hub-Signature') == hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
              and json.loads(body)[0]['object_id'] == uid, f'signed legacy update ({len(hooks)} received)')
        check(len(hooks) == 7, 'every legacy post sends its update')
        js('POST', f'{base}/_fake/accounts/{uid}/revoke')
        js('GET', murl, status=400)
        check('GET /v1/users/' + uid + '/media/recent' in js('GET', f'{base}/_fake/stats')['calls'], 'stats key')
    finally:
        p.terminate()
        check(p.wait(5) == 0, 'legacy: clean exit on SIGTERM')


def main():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    usage()
    graph(port)
    graph_media_webhooks(port)
    graph_flags(port)
    legacy(port)
    print('all good')


main()
