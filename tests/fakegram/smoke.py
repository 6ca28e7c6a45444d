#!/usr/bin/env python3
"""Walks fakegram through both dialects end to end (stdlib only).

usage: smoke.py [path/to/fakegram]   (default: build/fakegram)
Starts fakegram on 127.0.0.1:0 with a local webhook receiver, runs the OAuth
flow, paging, faults, revoke, stats, subscriptions and signed updates, and
exits non-zero on the first surprise. Not a ctest: a quick check after edits.
"""
import hashlib, hmac, http.server, json, os, subprocess, sys, threading, time
import urllib.error, urllib.parse, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../build/fakegram')
VERIFY = 'vt'
hooks = []


class Hook(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        ok = q.get('hub.verify_token', [''])[0] == VERIFY
        body = q.get('hub.challenge', [''])[0].encode() if ok else b'no'
        self.send_response(200 if ok else 403)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        hooks.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *a):
        pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(method, url, data=None, form=None):
    body, headers = None, {}
    if data is not None:
        body, headers = json.dumps(data).encode(), {'Content-Type': 'application/json'}
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers = {'Content-Type': 'application/x-www-form-urlencoded'}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def js(method, url, data=None, form=None, status=200):
    s, _, b = call(method, url, data, form)
    assert s == status, (method, url, s, b)
    return json.loads(b)


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        sys.exit(1)


def start(dialect, hook_port):
    p = subprocess.Popen([BIN, '--listen', '127.0.0.1:0', '--dialect', dialect, '--client-id', '1234',
                          '--client-secret', 'sek', '--webhook-url',
                          f'http://127.0.0.1:{hook_port}/hooks/instagram', '--verify-token', VERIFY],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    check(line.startswith('fakegram listening on http://127.0.0.1:'), f'{dialect}: {line}')
    return p, line.split(' on ')[1]


def authorize(base, scope, user, redirect='http://127.0.0.1:9/cb'):
    q = urllib.parse.urlencode({'client_id': '1234', 'redirect_uri': redirect, 'response_type': 'code',
                                'scope': scope, 'state': 'st8', 'as': user})
    s, h, _ = call('GET', f'{base}/oauth/authorize?{q}')
    check(s == 302, f'authorize as={user} -> 302 {h.get("Location")}')
    u = urllib.parse.urlparse(h['Location'])
    q = urllib.parse.parse_qs(u.query)
    check(q['state'] == ['st8'], 'state survives the redirect')
    return q['code'][0], u.fragment


def exchange(base, code, redirect='http://127.0.0.1:9/cb', status=200):
    return js('POST', f'{base}/oauth/access_token', status=status,
              form={'client_id': '1234', 'client_secret': 'sek', 'grant_type': 'authorization_code',
                    'redirect_uri': redirect, 'code': code})


def common_faults(base, url, envelope_ok):
    js('POST', f'{base}/_fake/faults', {'status': 500, 'count': 1})
    s, _, b = call('GET', url)
    check(s == 500 and envelope_ok(json.loads(b)), 'fault status 500 with envelope')
    js('POST', f'{base}/_fake/faults', {'rate_limit': True, 'count': 1})
    s, h, b = call('GET', url)
    check(s == 429 and h.get('Retry-After') == '30', 'fault rate_limit -> 429 Retry-After: 30')
    js('POST', f'{base}/_fake/faults', {'malformed': True, 'count': 1})
    s, _, b = call('GET', url)
    try:
        json.loads(b)
        bad = False
    except ValueError:
        bad = True
    check(s == 200 and bad, 'fault malformed -> 200 non-JSON')
    js('POST', f'{base}/_fake/faults', {'delay_ms': 700, 'count': 1})
    t = time.time()
    s, _, _ = call('GET', url)
    check(s == 200 and time.time() - t >= 0.65, 'fault delay_ms 700')
    check(js('POST', f'{base}/_fake/faults', {'status': 503, 'count': 3})['pending'] == 3, 'pending 3')
    check(js('POST', f'{base}/_fake/faults', {'count': 0})['pending'] == 0, 'count 0 clears')
    check(call('GET', url)[0] == 200, 'answers normally after clearing')


def graph(hook_port):
    p, base = start('graph', hook_port)
    try:
        code, frag = authorize(base, 'instagram_business_basic', 'alice')
        check(frag == '_', 'graph appends #_')
        check(exchange(base, code, 'http://other/', 400)['error']['type'] == 'OAuthException',
              'mismatched redirect_uri -> 400 OAuthException')
        tok = exchange(base, code)['data'][0]
        check(exchange(base, code, status=400)['error']['code'] == 100, 'code is single-use')
        ll = js('GET', f'{base}/access_token?grant_type=ig_exchange_token&client_secret=sek&access_token={tok["access_token"]}')
        check(ll['token_type'] == 'bearer' and ll['expires_in'] == 5184000, 'long-lived token')
        rf = js('GET', f'{base}/refresh_access_token?grant_type=ig_refresh_token&access_token={ll["access_token"]}')
        t = rf['access_token']
        me = js('GET', f'{base}/me?fields=user_id,username&access_token={t}')
        check(me == {'user_id': tok['user_id'], 'id': tok['user_id'], 'username': 'alice'}, f'/me {me}')
        aid = me['id']
        for i in range(7):
            js('POST', f'{base}/_fake/accounts/{aid}/media', {'caption': f'Soup {i} #EatDifferent'})
        js('POST', f'{base}/_fake/accounts/{aid}/media', {})
        fields = 'id,caption,media_type,media_url,permalink,timestamp,username'
        url, seen = f'{base}/me/media?fields={fields}&limit=3&access_token={t}', []
        while url:
            page = js('GET', url)
            seen += page['data']
            url = page.get('paging', {}).get('next')
        check(len(seen) == 8 and 'caption' not in seen[0] and seen[1]['caption'] == 'Soup 6 #EatDifferent',
              'paging 3+3+2, newest first, caption omitted when none')
        check(seen[1]['timestamp'].endswith('+0000') and seen[1]['media_url'].endswith('.svg'), 'item shape')
        check(call('GET', seen[1]['media_url'])[0] == 200, 'media_url serves an SVG')
        common_faults(base, f'{base}/me?access_token={t}', lambda j: 'error' in j)
        sub = js('POST', f'{base}/1234/subscriptions',
                 form={'object': 'instagram', 'callback_url': f'http://127.0.0.1:{hook_port}/hooks/instagram',
                       'fields': 'comments,mentions', 'verify_token': VERIFY, 'access_token': '1234|sek'})
        check(sub == {'success': True}, 'graph subscription verified')
        lst = js('GET', f'{base}/1234/subscriptions?access_token=1234%7Csek')['data']
        check(lst[0]['fields'][1] == {'name': 'mentions', 'version': 'v21.0'}, 'subscription list')
        time.sleep(0.5)
        hdr, body = hooks[-1]
        sig = 'sha256=' + hmac.new(b'sek', body, hashlib.sha256).hexdigest()
        check(hdr.get('X-Hub-Signature-256') == sig and json.loads(body)['entry'][0]['id'] == aid,
              f'signed graph update ({len(hooks)} received)')
        acc = js('GET', f'{base}/_fake/accounts/{aid}')
        check(t in acc['tokens'], 'account lists its valid tokens')
        check(js('POST', f'{base}/_fake/accounts/{aid}/revoke')['revoked'] == len(acc['tokens']), 'revoke')
        err = js('GET', f'{base}/me?access_token={t}', status=400)['error']
        check(err['code'] == 190, 'revoked token -> 190')
        stats = js('GET', f'{base}/_fake/stats')['calls']
        check(stats['GET /me/media'] == 3 and stats['POST /oauth/access_token'] == 3, f'stats {stats}')
        js('POST', f'{base}/_fake/stats/reset')
        check(js('GET', f'{base}/_fake/stats') == {'calls': {}}, 'stats reset')
        check(js('GET', f'{base}/_fake/accounts/404', status=404)['error'], 'unknown account 404')
    finally:
        p.terminate()
        check(p.wait(5) == 0, 'graph: clean exit on SIGTERM')


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
        err = js('GET', f'{base}/v1/users/{other}/media/recent?access_token={t}', status=400)
        check(err['meta']['error_type'] == 'OAuthAccessTokenException', 'token of another user')
        common_faults(base, f'{base}/v1/users/{uid}/media/recent?access_token={t}', lambda j: 'meta' in j)
        form = {'client_id': '1234', 'client_secret': 'sek', 'object': 'user', 'aspect': 'media',
                'callback_url': f'http://127.0.0.1:{hook_port}/hooks/instagram', 'verify_token': VERIFY}
        sub = js('POST', f'{base}/v1/subscriptions', form=form)
        check(sub['data']['type'] == 'subscription', 'legacy subscription verified')
        check(len(js('GET', f'{base}/v1/subscriptions?client_id=1234&client_secret=sek')['data']) == 1, 'list')
        js('DELETE', f'{base}/v1/subscriptions?client_id=1234&client_secret=sek&object=all')
        time.sleep(0.5)
        hdr, body = hooks[-1]
        check(hdr.get('X-Hub-Signature') == hmac.new(b'sek', body, hashlib.sha1).hexdigest()
              and json.loads(body)[0]['object_id'] == uid, f'signed legacy update ({len(hooks)} received)')
        js('POST', f'{base}/_fake/accounts/{uid}/revoke')
        js('GET', f'{base}/v1/users/{uid}/media/recent?access_token={t}', status=400)
        check('GET /v1/users/' + uid + '/media/recent' in js('GET', f'{base}/_fake/stats')['calls'], 'stats key')
    finally:
        p.terminate()
        check(p.wait(5) == 0, 'legacy: clean exit on SIGTERM')


def main():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    graph(srv.server_address[1])
    legacy(srv.server_address[1])
    print('all good')


main()
