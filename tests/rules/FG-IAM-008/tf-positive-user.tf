# The CI user may create a new version of any customer managed policy
# (iam:CreatePolicyVersion on *): a classic escalation to admin.

resource "aws_iam_user" "deploy_bot" {
  name = "deploy-bot"
}

resource "aws_iam_user_policy" "deploy_bot" {
  name = "ci"
  user = aws_iam_user.deploy_bot.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["iam:CreatePolicyVersion", "iam:GetPolicy"]
        Resource = "*"
      },
    ]
  })
}
