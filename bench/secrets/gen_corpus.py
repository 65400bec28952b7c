#!/usr/bin/env python3
"""Synthetic mixed corpus for the secret-scanning benchmark (issue 4).

Writes OUT/corpus/NNNNN.{py,js,min.js,json,bin} files of 16 KiB to 2 MiB:
source code full of names that look like secrets but hold none
(os.environ reads, hashes, identifiers), minified JavaScript, JSON
(lockfile-like integrity hashes, UUIDs, base64 blobs) and random binary.
Secrets of every family are planted at random places, one per line, and
listed in OUT/planted.json as {file, offset, secret, kind} and in
OUT/planted.tsv as file, byte offset, byte length, kind.

    gen_corpus.py OUT [--mb 256] [--seed 4] [--planted 400]

Deterministic for a seed. Values are random: none is a real credential.
"""
import argparse, base64, json, os, random, string

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--planted", type=int, default=400)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    g = lambda chars, n: "".join(rnd.choice(chars) for _ in range(n))

    words = ("user order item price total request response handler event context config "
             "client session token secret password key value data result error message "
             "count index name path file bucket table query cache retry timeout region "
             "account service payload header body status id created updated").split()

    def ident():
        w = rnd.sample(words, rnd.randint(1, 3))
        return rnd.choice(["_".join(w), w[0] + "".join(x.title() for x in w[1:])])

    def py_line():
        k = rnd.randrange(12)
        name = ident()
        if k == 0:
            return f'{name.upper()} = os.environ["{name.upper()}"]'
        if k == 1:
            return f"    {name} = hashlib.sha256({ident()}.encode()).hexdigest()"
        if k == 2:
            return f"    # {' '.join(rnd.choices(words, k=rnd.randint(4, 12)))}"
        if k == 3:
            return f"def {ident()}(event, context):"
        if k == 4:
            return f'    logger.info("{" ".join(rnd.choices(words, k=5))} %s", {name})'
        if k == 5:
            return f"    {name} = {ident()}.get('{ident()}', {rnd.randint(0, 9999)})"
        if k == 6:
            return f"    if {name} is None or {ident()} == '{rnd.choice(words)}':"
        if k == 7:
            return f'    password_hash = bcrypt.hashpw({name}, salt)'
        if k == 8:
            return f"    token = request.headers.get('Authorization', '')"
        if k == 9:
            return f"    secret_arn = os.environ['SECRET_ARN']"
        if k == 10:
            return f"    return {{'statusCode': {rnd.choice([200, 400, 404, 500])}, 'body': json.dumps({name})}}"
        return f"    {name} = [{', '.join(str(rnd.randint(0, 1 << 20)) for _ in range(rnd.randint(1, 8)))}]"

    def js_line():
        k = rnd.randrange(8)
        name = ident()
        if k == 0:
            return f"const {name} = process.env.{name.upper()};"
        if k == 1:
            return f"export async function {ident()}(event) {{"
        if k == 2:
            return f"  // {' '.join(rnd.choices(words, k=rnd.randint(4, 12)))}"
        if k == 3:
            return f"  const {{ {ident()}, {ident()} }} = JSON.parse(event.body);"
        if k == 4:
            return f"  await client.send(new GetSecretValueCommand({{ SecretId: '{rnd.choice(words)}/{rnd.choice(words)}' }}));"
        if k == 5:
            return f"  if (!{name}) throw new Error('{' '.join(rnd.choices(words, k=4))}');"
        if k == 6:
            return f"  const tokenizer = new Tokenizer({{ maxTokens: {rnd.randint(1, 4096)} }});"
        return f"  {name}.push({rnd.randint(0, 10**6)});"

    def minified_chunk():
        parts = []
        for _ in range(200):
            k = rnd.randrange(6)
            a, b = g(string.ascii_letters, 1), g(string.ascii_letters, 2)
            if k == 0:
                parts.append(f"function {a}({b}){{return {b}&&{b}.{rnd.choice(words)}}}")
            elif k == 1:
                parts.append(f'var {b}="{" ".join(rnd.choices(words, k=3))}"')
            elif k == 2:
                parts.append(f"{a}.{rnd.choice(words)}=function({b}){{this.{rnd.choice(words)}Token={b}}}")
            elif k == 3:
                parts.append(f"{b}[{rnd.randint(0, 999)}]={rnd.random():.6f}")
            elif k == 4:
                parts.append(f'{a}("{g(ALNUM, rnd.randint(4, 16))}")')
            else:
                parts.append(f"if({a}.length>{rnd.randint(0, 99)}){{{b}++}}")
        return ";".join(parts)

    def json_entry():
        name = "@" + rnd.choice(words) + "/" + "-".join(rnd.sample(words, 2))
        integrity = "sha512-" + base64.b64encode(rnd.randbytes(64)).decode()
        uid = f"{g(HEX, 8)}-{g(HEX, 4)}-{g(HEX, 4)}-{g(HEX, 4)}-{g(HEX, 12)}"
        return (f'    "node_modules/{name}": {{\n      "version": "{rnd.randint(0, 9)}.{rnd.randint(0, 30)}.{rnd.randint(0, 20)}",\n'
                f'      "resolved": "https://registry.npmjs.org/{name}/-/{name.split("/")[1]}.tgz",\n'
                f'      "integrity": "{integrity}",\n      "id": "{uid}",\n      "sha": "{g(HEX, 40)}"\n    }},')

    def planted():
        """(kind, line with the secret, secret)"""
        k = rnd.randrange(16)
        if k == 0:
            s = "AKIA" + g(string.ascii_uppercase + "234567", 16)
            return "aws-key-id", f'aws_access_key_id = "{s}"', s
        if k == 1:
            s = g(ALNUM + "+/", 40)
            return "aws-secret", f"aws_secret_access_key = {s}", s
        if k == 2:
            s = "ghp_" + g(ALNUM, 36)
            return "github", f'GITHUB_TOKEN: "{s}"', s
        if k == 3:
            s = "xoxb-" + g("0123456789", 11) + "-" + g("0123456789", 13) + "-" + g(ALNUM, 24)
            return "slack", f"slack_token = '{s}'", s
        if k == 4:
            s = "sk_live_" + g(ALNUM, 32)
            return "stripe", f'stripe.api_key = "{s}"', s
        if k == 5:
            s = g(ALNUM, 10) + "!" + g(ALNUM, 5)
            return "postgres-url", f"DATABASE_URL=postgres://app:{s}@db.internal:5432/app", s
        if k == 6:
            s = "glpat-" + g(ALNUM + "_-", 20)
            return "gitlab", f"GITLAB_TOKEN={s}", s
        if k == 7:
            s = "npm_" + g(ALNUM, 36)
            return "npm", f"//registry.npmjs.org/:_authToken={s}", s
        if k == 8:
            s = "AIza" + g(ALNUM + "_-", 35)
            return "google-api-key", f'const mapsKey = "{s}";', s
        if k == 9:
            s = "LTAI" + g(ALNUM, 20)
            return "alibaba", f"access_key_id: {s}", s
        if k == 10:
            s = "AKID" + g(ALNUM, 32)
            return "tencent", f"SecretId = '{s}'", s
        if k == 11:
            s = "SG." + g(ALNUM + "_-", 22) + "." + g(ALNUM + "_-", 43)
            return "sendgrid", f"SENDGRID_API_KEY={s}", s
        if k == 12:
            s = "eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(json.dumps({"sub": g(ALNUM, 12), "role": "service"}).encode()).decode().rstrip("=") + "." + g(ALNUM + "_-", 43)
            return "jwt", f"SERVICE_JWT={s}", s
        if k == 13:
            s = g(ALNUM, 12) + "#" + g(ALNUM, 6)
            return "password", f'  "password": "{s}",', s
        if k == 14:
            s = "sk-ant-api03-" + g(ALNUM + "_-", 93) + "AA"
            return "anthropic", f"ANTHROPIC_API_KEY={s}", s
        body = base64.b64encode(rnd.randbytes(1200)).decode()
        lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
        return "pem", f"-----BEGIN RSA PRIVATE KEY-----\n{lines}\n-----END RSA PRIVATE KEY-----", lines

    corpus = os.path.join(args.out, "corpus")
    os.makedirs(corpus, exist_ok=True)
    total_target = args.mb << 20
    kinds = [("py", 40), ("js", 15), ("min.js", 20), ("json", 15), ("bin", 10)]
    plant_every = total_target // max(args.planted, 1)
    records, written, n, next_plant = [], 0, 0, plant_every // 2
    while written < total_target:
        ext = rnd.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        size = min(int(rnd.uniform(16 << 10, 2 << 20)), total_target - written)
        if ext == "bin":
            data = bytearray(rnd.randbytes(size))
        else:
            chunks, length = [], 0
            make = {"py": py_line, "js": js_line, "min.js": minified_chunk, "json": json_entry}[ext]
            while length < size:
                line = make()
                chunks.append(line)
                length += len(line) + 1
            data = bytearray("\n".join(chunks).encode())
        name = f"{n:05d}.{ext}"
        # Plant at line starts (binary: after a newline byte written there).
        while next_plant < written + len(data):
            kind, line, secret = planted()
            at = max(0, next_plant - written)
            nl = data.find(b"\n", at)
            at = len(data) if nl < 0 else nl + 1
            payload = (line + "\n").encode()
            if ext == "bin":
                payload = b"\n" + payload
            data[at:at] = payload
            records.append({"file": name, "offset": at + payload.index(secret.encode()), "secret": secret, "kind": kind})
            next_plant += plant_every
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)
        written += len(data)
        n += 1
    with open(os.path.join(args.out, "planted.json"), "w") as f:
        json.dump(records, f, indent=1)
    with open(os.path.join(args.out, "planted.tsv"), "w") as f:
        for r in records:
            f.write(f"{r['file']}\t{r['offset']}\t{len(r['secret'].encode())}\t{r['kind']}\n")
    print(f"{n} files, {written / (1 << 20):.0f} MiB, {len(records)} planted secrets in {args.out}")


if __name__ == "__main__":
    main()
