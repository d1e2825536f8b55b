module github.com/rchud/rchud

go 1.26.8
