module example.com/orders

go 1.21

require (
	github.com/aws/aws-lambda-go v1.41.0
	golang.org/x/crypto v0.0.0-20200622213623-75b288015ac9 // indirect
	github.com/gin-gonic/gin v1.9.1
	github.com/docker/docker v20.10.7+incompatible // indirect
	example.com/internal/lib v0.0.0
)

require github.com/pkg/errors v0.9.1

replace github.com/gin-gonic/gin => github.com/example/gin-fork v1.9.2
replace example.com/internal/lib => ../lib

exclude github.com/pkg/errors v0.8.0
