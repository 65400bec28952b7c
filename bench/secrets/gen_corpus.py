#!/usr/bin/env python3
"""Synthetic mixed corpus for the secret-scanning benchmark (issue 4).

Writes OUT/corpus/NNNNN.<ext> files of 16 KiB to 2 MiB, the mix of what a
function package holds:

- source code in Python, JavaScript/TypeScript, Go and Java, full of names
  that look like secrets but hold none (environment reads, hashes, headers,
  tokenizers, secret ARNs), comments and logging;
- deployment configuration (serverless.yml / SAM-like YAML, .env-style);
- minified JavaScript (one long line per ~10 KB chunk, bundler output);
- JSON (lockfile-like integrity hashes, UUIDs, SHAs, resolved URLs);
- binaries: native modules (ELF-like: zero padding, machine code, string
  and symbol tables) and compressed data (uniformly random bytes).

Secrets of 34 kinds (cloud keys, VCS and registry tokens, payment,
messaging, AI keys, database and webhook URLs, JWTs, private keys, generic
`api_key =` and `"password":` assignments) are planted at line starts
(binary: after a newline) and listed in OUT/planted.json as
{file, offset, secret, kind} and in OUT/planted.tsv as file, byte offset,
byte length, kind.

    gen_corpus.py OUT [--mb 256] [--seed 4] [--planted 400]

Deterministic for a seed. Values are random: none is a real credential.
"""
import argparse, base64, json, os, random, string

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "_-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--planted", type=int, default=400)
    args = ap.parse_args()
    rnd = random.Random(args.seed)

    def g(chars, n):
        return "".join(rnd.choices(chars, k=n))

    words = ("user order item price total request response handler event context config "
             "client session token secret password key value data result error message "
             "count index name path file bucket table query cache retry timeout region "
             "account service payload header body status id created updated").split()

    def ident():
        w = rnd.sample(words, rnd.randint(1, 3))
        return rnd.choice(["_".join(w), w[0] + "".join(x.title() for x in w[1:])])

    def camel():
        w = rnd.sample(words, rnd.randint(1, 3))
        return w[0] + "".join(x.title() for x in w[1:])

    def pascal():
        return "".join(x.title() for x in rnd.sample(words, rnd.randint(1, 3)))

    def sentence(lo=4, hi=12):
        return " ".join(rnd.choices(words, k=rnd.randint(lo, hi)))

    def py_line():
        k = rnd.randrange(14)
        name = ident()
        if k == 0:
            return f'{name.upper()} = os.environ["{name.upper()}"]'
        if k == 1:
            return f"    {name} = hashlib.sha256({ident()}.encode()).hexdigest()"
        if k == 2:
            return f"    # {sentence()}"
        if k == 3:
            return f"def {ident()}(event, context):"
        if k == 4:
            return f'    logger.info("{sentence(5, 5)} %s", {name})'
        if k == 5:
            return f"    {name} = {ident()}.get('{ident()}', {rnd.randint(0, 9999)})"
        if k == 6:
            return f"    if {name} is None or {ident()} == '{rnd.choice(words)}':"
        if k == 7:
            return "    password_hash = bcrypt.hashpw(" + name + ", salt)"
        if k == 8:
            return "    token = request.headers.get('Authorization', '')"
        if k == 9:
            return "    secret_arn = os.environ['SECRET_ARN']"
        if k == 10:
            return f"    return {{'statusCode': {rnd.choice([200, 400, 404, 500])}, 'body': json.dumps({name})}}"
        if k == 11:
            return f'    """{sentence(6, 14).capitalize()}."""'
        if k == 12:
            return f"from {rnd.choice(['boto3', 'botocore', 'app', 'lib'])}.{ident()} import {pascal()}"
        return f"    {name} = [{', '.join(str(rnd.randint(0, 1 << 20)) for _ in range(rnd.randint(1, 8)))}]"

    def js_line():
        k = rnd.randrange(11)
        name = camel()
        if k == 0:
            return f"const {name} = process.env.{ident().upper()};"
        if k == 1:
            return f"export async function {camel()}(event: APIGatewayProxyEvent): Promise<{pascal()}> {{"
        if k == 2:
            return f"  // {sentence()}"
        if k == 3:
            return f"  const {{ {camel()}, {camel()} }} = JSON.parse(event.body);"
        if k == 4:
            return f"  await client.send(new GetSecretValueCommand({{ SecretId: '{rnd.choice(words)}/{rnd.choice(words)}' }}));"
        if k == 5:
            return f"  if (!{name}) throw new Error('{sentence(4, 4)}');"
        if k == 6:
            return f"  const tokenizer = new Tokenizer({{ maxTokens: {rnd.randint(1, 4096)} }});"
        if k == 7:
            return f"import {{ {pascal()} }} from '@{rnd.choice(words)}/{rnd.choice(words)}-{rnd.choice(words)}';"
        if k == 8:
            return f"  headers['Authorization'] = `Bearer ${{{name}}}`;"
        if k == 9:
            return f"  {name}: {rnd.choice(['string', 'number', 'boolean', pascal()])};"
        return f"  {name}.push({rnd.randint(0, 10**6)});"

    def go_line():
        k = rnd.randrange(10)
        name = camel()
        if k == 0:
            return f"func (s *{pascal()}) {pascal()}(ctx context.Context, req *{pascal()}) (*{pascal()}, error) {{"
        if k == 1:
            return "\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"" + sentence(2, 3) + ": %w\", err)\n\t}"
        if k == 2:
            return f"\t{name} := os.Getenv(\"{ident().upper()}\")"
        if k == 3:
            return f"\t// {sentence()}"
        if k == 4:
            return f"\t{pascal()} string `json:\"{ident()}\"`"
        if k == 5:
            return f"\tlog.Printf(\"{sentence(2, 4)} %s took %v\", req.ID, time.Since(start))"
        if k == 6:
            return f"\tsecretValue, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{{SecretId: aws.String({name})}})"
        if k == 7:
            return f"\t\"github.com/{rnd.choice(words)}/{rnd.choice(words)}-{rnd.choice(words)}/v{rnd.randint(1, 5)}\""
        if k == 8:
            return f"\tfor i := 0; i < len({name}); i++ {{"
        return f"\t{name} = append({name}, {rnd.randint(0, 1 << 16)})"

    def java_line():
        k = rnd.randrange(9)
        name = camel()
        if k == 0:
            return f"    private static final String {ident().upper()} = System.getenv(\"{ident().upper()}\");"
        if k == 1:
            return "    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent input, Context context) {"
        if k == 2:
            return "        String token = input.getHeaders().get(\"Authorization\");"
        if k == 3:
            return f"        LOGGER.info(\"{sentence(2, 4)} {{}}\", {name});"
        if k == 4:
            return f"        Map<String, Object> {name} = mapper.readValue(input.getBody(), Map.class);"
        if k == 5:
            return "    @Override"
        if k == 6:
            return f"     * {sentence(5, 12)}"
        if k == 7:
            return f"import com.{rnd.choice(words)}.{rnd.choice(words)}.{pascal()};"
        return f"        return new {pascal()}({rnd.choice([200, 400, 500])}, mapper.writeValueAsString({name}));"

    def config_line():
        k = rnd.randrange(9)
        if k == 0:
            return f"    {ident().upper()}: !Ref {pascal()}Table"
        if k == 1:
            return f"    SECRET_ARN: !Sub arn:aws:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{rnd.choice(words)}"
        if k == 2:
            return f"  {camel()}:\n    handler: src/{rnd.choice(words)}.{camel()}\n    timeout: {rnd.choice([3, 10, 30, 900])}"
        if k == 3:
            return f"{ident().upper()}={rnd.choice(words)}"
        if k == 4:
            return f"    memorySize: {rnd.choice([128, 256, 512, 1024])}"
        if k == 5:
            return f"# {sentence()}"
        if k == 6:
            return f"      - Effect: Allow\n        Action: {rnd.choice(['s3', 'dynamodb', 'sqs', 'secretsmanager'])}:{pascal()}"
        if k == 7:
            return f"    {ident().upper()}: ${{ssm:/{rnd.choice(words)}/{ident()}}}"
        return f"    LOG_LEVEL: {rnd.choice(['info', 'debug', 'warn'])}"

    def minified_chunk():
        parts = []
        for _ in range(200):
            k = rnd.randrange(8)
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
            elif k == 5:
                parts.append(f'{a}.exports={{{camel()}:{b},{camel()}:"{rnd.choice(words)}"}}')
            elif k == 6:
                parts.append(f"Object.defineProperty({a},\"__esModule\",{{value:!0}})")
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

    symbol_words = words + ["init", "fini", "alloc", "free", "read", "write", "open", "close", "parse"]

    def native_binary(size):
        """ELF-like: header, zero padding, machine code, strings."""
        out = bytearray(b"\x7fELF\x02\x01\x01" + bytes(9))
        while len(out) < size:
            k = rnd.randrange(4)
            if k == 0:
                out += bytes(rnd.randint(16, 4096))
            elif k == 1:
                out += rnd.randbytes(rnd.randint(256, 16384))
            elif k == 2:
                for _ in range(rnd.randint(10, 200)):
                    out += ("_ZN" + "".join(f"{len(w)}{w}" for w in rnd.sample(symbol_words, 3))
                            + "17h" + g(HEX, 16) + "E").encode() + b"\0"
            else:
                for _ in range(rnd.randint(5, 50)):
                    out += rnd.choice([sentence(3, 8), "GLIBC_2.2." + str(rnd.randint(1, 9)),
                                       "libc.so.6", "napi_" + ident(), "%s: %s"]).encode() + b"\0"
        return out[:size]

    def pem_body(nbytes, width=64):
        body = base64.b64encode(rnd.randbytes(nbytes)).decode()
        return "\n".join(body[i:i + width] for i in range(0, len(body), width))

    def planted():
        """(kind, line with the secret, secret)"""
        k = rnd.randrange(34)
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
            s = "glpat-" + g(URLSAFE, 20)
            return "gitlab", f"GITLAB_TOKEN={s}", s
        if k == 7:
            s = "npm_" + g(ALNUM, 36)
            return "npm", f"//registry.npmjs.org/:_authToken={s}", s
        if k == 8:
            s = "AIza" + g(URLSAFE, 35)
            return "google-api-key", f'const mapsKey = "{s}";', s
        if k == 9:
            s = "LTAI" + g(ALNUM, 20)
            return "alibaba", f"access_key_id: {s}", s
        if k == 10:
            s = "AKID" + g(ALNUM, 32)
            return "tencent", f"SecretId = '{s}'", s
        if k == 11:
            s = "SG." + g(URLSAFE, 22) + "." + g(URLSAFE, 43)
            return "sendgrid", f"SENDGRID_API_KEY={s}", s
        if k == 12:
            s = "eyJhbGciOiJIUzI1NiJ9." + base64.urlsafe_b64encode(json.dumps({"sub": g(ALNUM, 12), "role": "service"}).encode()).decode().rstrip("=") + "." + g(URLSAFE, 43)
            return "jwt", f"SERVICE_JWT={s}", s
        if k == 13:
            s = g(ALNUM, 12) + "#" + g(ALNUM, 6)
            return "password", f'  "password": "{s}",', s
        if k == 14:
            s = "sk-ant-api03-" + g(URLSAFE, 93) + "AA"
            return "anthropic", f"ANTHROPIC_API_KEY={s}", s
        if k == 15:
            s = "sk-proj-" + g(URLSAFE, 74) + "T3BlbkFJ" + g(URLSAFE, 74)
            return "openai", f'OPENAI_API_KEY="{s}"', s
        if k == 16:
            s = "hf_" + g(ALNUM, 34)
            return "huggingface", f"HF_TOKEN={s}", s
        if k == 17:
            s = g(ALNUM + "+/", 86) + "=="
            return "azure-storage", f"AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName={rnd.choice(words)}prod;AccountKey={s};EndpointSuffix=core.windows.net", s
        if k == 18:
            s = str(rnd.randint(10**8, 10**10 - 1)) + ":AA" + g(URLSAFE, 33)
            return "telegram", f"TELEGRAM_BOT_TOKEN={s}", s
        if k == 19:
            s = f"https://discord.com/api/webhooks/{rnd.randint(10**17, 10**18)}/{g(URLSAFE, 68)}"
            return "discord-webhook", f'  webhookUrl: "{s}",', s
        if k == 20:
            s = f"https://hooks.slack.com/services/T{g(string.ascii_uppercase + string.digits, 10)}/B{g(string.ascii_uppercase + string.digits, 10)}/{g(ALNUM, 24)}"
            return "slack-webhook", f"SLACK_WEBHOOK_URL={s}", s
        if k == 21:
            s = g(ALNUM, 16)
            return "mongodb-url", f'  uri: "mongodb+srv://svc:{s}@cluster0.{g(string.ascii_lowercase, 5)}.mongodb.net/orders",', s
        if k == 22:
            s = g(ALNUM, 24)
            return "redis-url", f"REDIS_URL=rediss://:{s}@cache.internal:6380/0", s
        if k == 23:
            s = pem_body(400, 70)
            return "openssh-key", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n-----END OPENSSH PRIVATE KEY-----", s
        if k == 24:
            body = base64.b64encode(rnd.randbytes(900)).decode()
            body = "\\n".join(body[i:i + 64] for i in range(0, len(body), 64))
            s = f"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n"
            project = f"{rnd.choice(words)}-prod"
            return "gcp-service-account", (f'{{"type": "service_account", "project_id": "{project}", "private_key_id": "{g(HEX, 40)}", '
                                           f'"private_key": "{s}", "client_email": "fn@{project}.iam.gserviceaccount.com"}}'), s
        if k == 25:
            s = "SK" + g(HEX, 32)
            return "twilio-key", f"const client = require('twilio')('{s}', process.env.TWILIO_SECRET);", s
        if k == 26:
            s = "dckr_pat_" + g(URLSAFE, 27)
            return "docker", f"DOCKER_TOKEN={s}", s
        if k == 27:
            s = "hvs." + g(URLSAFE, 90)
            return "vault", f"VAULT_TOKEN={s}", s
        if k == 28:
            s = "dop_v1_" + g(HEX, 64)
            return "digitalocean", f"DIGITALOCEAN_TOKEN={s}", s
        if k == 29:
            s = "shpat_" + g(HEX, 32)
            return "shopify", f"    SHOPIFY_ACCESS_TOKEN: {s}", s
        if k == 30:
            s = g(HEX, 32) + "-us" + str(rnd.randint(1, 21))
            return "mailchimp", f"MAILCHIMP_KEY={s}", s
        if k == 31:
            s = g(ALNUM, 32)
            return "generic-api-key", f'    api_key = "{s}"', s
        if k == 32:
            s = "GOCSPX-" + g(URLSAFE, 28)
            return "google-oauth", f'  "client_secret": "{s}",', s
        s = pem_body(1200)
        return "pem", f"-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----", s

    corpus = os.path.join(args.out, "corpus")
    os.makedirs(corpus, exist_ok=True)
    total_target = args.mb << 20
    # Shares by bytes. Bundled dependencies make most of a Node package
    # (minified bundles, lockfiles); Python, Go and Java packages carry
    # their sources and native modules.
    kinds = [("py", 20), ("js", 9), ("ts", 5), ("go", 6), ("java", 6), ("yml", 4),
             ("min.js", 20), ("json", 15), ("so", 8), ("bin", 7)]
    makers = {"py": py_line, "js": js_line, "ts": js_line, "go": go_line, "java": java_line,
              "yml": config_line, "min.js": minified_chunk, "json": json_entry}
    plant_every = total_target // max(args.planted, 1)
    records, written, n, next_plant = [], 0, 0, plant_every // 2
    while written < total_target:
        ext = rnd.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        size = min(int(rnd.uniform(16 << 10, 2 << 20)), total_target - written)
        if ext == "bin":
            data = bytearray(rnd.randbytes(size))
        elif ext == "so":
            data = native_binary(size)
        else:
            chunks, length = [], 0
            make = makers[ext]
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
            if ext in ("bin", "so"):
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
