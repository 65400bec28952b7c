# Users that cannot escalate: one may only rotate its own access keys, the
# other's policy-version rights are removed by an explicit Deny.

resource "aws_iam_user" "self_service" {
  name = "self-service"
}

resource "aws_iam_user_policy" "self_service" {
  name = "own-keys"
  user = aws_iam_user.self_service.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"]
        Resource = "arn:aws:iam::*:user/self-service"
      },
    ]
  })
}

resource "aws_iam_user" "deploy_bot" {
  name = "deploy-bot"
}

resource "aws_iam_policy" "ci" {
  name = "ci"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["iam:CreatePolicyVersion", "s3:PutObject"], Resource = "*" },
      { Effect = "Deny", Action = "iam:*", Resource = "*" },
    ]
  })
}

resource "aws_iam_user_policy_attachment" "deploy_bot" {
  user       = aws_iam_user.deploy_bot.name
  policy_arn = aws_iam_policy.ci.arn
}
