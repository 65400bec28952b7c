#!/usr/bin/env python3
"""Write a realistic mix of hostnames for the intel classification benchmark.

Most lines are hosts of popular sites and of the same vendors' non-function
services (what a resolver or proxy log mostly holds); a share are endpoints
of every product in rules/intel/endpoints.yml, with random ids. Some lines
are URLs, host:port or upper case, as logs carry them.

    gen_hosts.py OUT --count N [--endpoint-share 0.05] [--seed 1]
"""
import argparse
import random
import string

POPULAR = [
    "google.com", "youtube.com", "facebook.com", "baidu.com", "wikipedia.org", "qq.com",
    "taobao.com", "amazon.com", "tmall.com", "twitter.com", "instagram.com", "yahoo.com",
    "linkedin.com", "bing.com", "microsoft.com", "apple.com", "netflix.com", "github.com",
    "weibo.com", "jd.com", "sohu.com", "163.com", "bilibili.com", "zhihu.com", "csdn.net",
    "aliyun.com", "tencent.com", "office.com", "live.com", "cloudflare.com", "akamaihd.net",
    "gstatic.com", "googleapis.com", "doubleclick.net", "fbcdn.net", "apple-dns.net",
    "windowsupdate.com", "icloud.com", "slack.com", "zoom.us", "example.co.uk", "bbc.co.uk",
]
# The vendors' own non-function hosts: they share suffixes with products,
# so they reach the pattern stage and must still not classify.
VENDOR_OTHER = [
    "s3.amazonaws.com", "ec2.us-east-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com",
    "dynamodb.ap-southeast-1.amazonaws.com", "d1234abcd.cloudfront.net",
    "cos.ap-guangzhou.myqcloud.com", "ecs.cn-hangzhou.aliyuncs.com", "oss-cn-beijing.aliyuncs.com",
    "bj.bcebos.com", "login.microsoftonline.com", "management.azure.com",
    "storage.googleapis.com", "api.cloudflare.com",
]
SUBS = ["www", "api", "cdn", "static", "img", "m", "login", "mail", "s1", "edge-01", "assets"]


def rnd(rng, chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


LOW = string.ascii_lowercase
ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
DIG = string.digits


def endpoint(rng):
    kinds = [
        lambda: f"service-{rnd(rng, ALNUM, 8)}-{rng.choice('123')}{rnd(rng, DIG, 9)}.{rng.choice(['sh','bj','gz','hk'])}.{rng.choice(['apigw.tencentcs.com','tencentapigw.com','tencentapigw.com.cn'])}",
        lambda: f"service-{rnd(rng, ALNUM, 8)}-125{rnd(rng, DIG, 7)}.ap-guangzhou.apigateway.myqcloud.com",
        lambda: f"1{rnd(rng, DIG, 9)}-{rnd(rng, ALNUM, 10)}.ap-{rng.choice(['guangzhou','shanghai','hongkong'])}.tencentscf.com",
        lambda: f"web-{rnd(rng, LOW, 4)}-1{rnd(rng, DIG, 9)}.sh.run.tcloudbase.com",
        lambda: f"1{rnd(rng, DIG, 15)}.cn-{rng.choice(['hangzhou','shanghai','beijing'])}.fc.aliyuncs.com",
        lambda: f"{rnd(rng, LOW, 7)}-{rnd(rng, LOW, 10)}.cn-hangzhou{rng.choice(['','-vpc'])}.fcapp.run",
        lambda: f"{rnd(rng, HEX, 32)}-cn-shanghai.alicloudapi.com",
        lambda: f"{rnd(rng, HEX, 32)}.apig.cn-north-4.huaweicloudapis.com",
        lambda: f"{rnd(rng, ALNUM, 13)}.cfc-execute.bj.baidubce.com",
        lambda: f"s{rnd(rng, ALNUM, 20)}.apigateway-cn-beijing.volceapi.com",
        lambda: f"{rnd(rng, ALNUM, 10)}.execute-api.{rng.choice(['us-east-1','eu-west-2','ap-northeast-1'])}.amazonaws.com",
        lambda: f"{rnd(rng, ALNUM, 32)}.lambda-url.us-west-2.on.aws",
        lambda: f"{rnd(rng, LOW, 6)}-{rnd(rng, ALNUM, 16)}.westus-01.azurewebsites.net",
        lambda: f"{rnd(rng, LOW, 8)}.azurewebsites.net",
        lambda: f"{rnd(rng, LOW, 8)}.azure-api.net",
        lambda: f"{rnd(rng, LOW, 6)}-{rnd(rng, ALNUM, 16)}.z01.azurefd.net",
        lambda: f"us-central1-{rnd(rng, LOW, 8)}.cloudfunctions.net",
        lambda: f"{rnd(rng, LOW, 6)}-{rnd(rng, DIG, 12)}.us-central1.run.app",
        lambda: f"{rnd(rng, LOW, 6)}-{rnd(rng, ALNUM, 10)}-uc.a.run.app",
        lambda: f"{rnd(rng, LOW, 5)}-{rnd(rng, ALNUM, 12)}.uc.gateway.dev",
        lambda: f"{rnd(rng, LOW, 8)}.uc.r.appspot.com",
        lambda: f"{rnd(rng, LOW, 5)}.{rnd(rng, LOW, 7)}.workers.dev",
        lambda: f"{rnd(rng, LOW, 8)}.pages.dev",
        lambda: f"{rnd(rng, LOW, 6)}-{rnd(rng, LOW, 5)}-{rnd(rng, LOW, 4)}.trycloudflare.com",
        lambda: f"{rnd(rng, LOW, 6)}-git-main-{rnd(rng, LOW, 5)}.vercel.app",
        lambda: f"{rnd(rng, LOW, 8)}.netlify.app",
        lambda: f"{rnd(rng, LOW, 8)}.deno.dev",
        lambda: f"{rnd(rng, LOW, 6)}.{rnd(rng, LOW, 8)}-{rnd(rng, HEX, 8)}.eastus.azurecontainerapps.io",
        lambda: f"d{rnd(rng, ALNUM, 13)}.cloudfront.net",
        lambda: f"{rnd(rng, LOW, 6)}-{rnd(rng, LOW, 5)}.edgecompute.app",
        lambda: f"{rnd(rng, LOW, 8)}.fly.dev",
        lambda: f"{rnd(rng, LOW, 8)}.onrender.com",
        lambda: f"{rnd(rng, LOW, 8)}-{rnd(rng, HEX, 12)}.herokuapp.com",
    ]
    return rng.choice(kinds)()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--endpoint-share", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as out:
        for _ in range(args.count):
            r = rng.random()
            if r < args.endpoint_share:
                host = endpoint(rng)
            elif r < args.endpoint_share + 0.10:
                host = rng.choice(VENDOR_OTHER)
            else:
                host = f"{rng.choice(SUBS)}.{rng.choice(POPULAR)}"
            shape = rng.random()
            if shape < 0.10:
                host = f"https://{host}/path?q=1"
            elif shape < 0.15:
                host = f"{host}:443"
            elif shape < 0.18:
                host = host.upper() + "."
            out.write(host + "\n")


if __name__ == "__main__":
    main()
