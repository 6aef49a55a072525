package spec

import (
	"fmt"
	"slices"
	"strings"
)

// ExecUser is the identity a container's process runs as.
type ExecUser struct {
	UID, GID uint32
	// AdditionalGIDs are the groups of the image's /etc/group that list
	// the user by name, in file order, without duplicates.
	AdditionalGIDs []uint32
	// Home is the passwd home directory, "/" when there is none.
	Home string
}

// ResolveUser resolves a docker/OCI user string against the image rootfs:
// "" (root), "name", "uid", "name:group", "uid:gid", "uid:group",
// "name:gid". /etc/passwd and /etc/group are read inside rootfs, symlinks
// resolved as if rootfs were "/". A numeric uid needs no passwd entry (its
// gid is then 0 unless given); a name or group name that is not found is an
// error wrapping errdefs.ErrInvalidArgument. Supplementary groups are
// looked up by the user's name even when the group is given, as CRI
// runtimes do (Kubernetes' "Merge" policy builds on that).
func ResolveUser(rootfs, user string) (ExecUser, error) {
	userPart, groupPart, hasGroup := strings.Cut(user, ":")
	if hasGroup && (userPart == "" || groupPart == "") {
		return ExecUser{}, invalidf("user %q: want name[:group] or uid[:gid]", user)
	}
	passwd, err := readRootfsFile(rootfs, "/etc/passwd")
	if err != nil {
		return ExecUser{}, fmt.Errorf("user %q: %w", user, err)
	}
	u, err := lookupUser(parsePasswd(passwd), userPart)
	if err != nil {
		return ExecUser{}, fmt.Errorf("user %q: %w", user, err)
	}
	// /etc/group is only needed for a group name or a named user's
	// memberships; an image without one still runs numeric users.
	if !hasGroup && u.Name == "" {
		return u.ExecUser, nil
	}
	groupData, err := readRootfsFile(rootfs, "/etc/group")
	if err != nil {
		return ExecUser{}, fmt.Errorf("user %q: %w", user, err)
	}
	groups := parseGroup(groupData)
	if hasGroup {
		gid, err := lookupGroup(groups, groupPart)
		if err != nil {
			return ExecUser{}, fmt.Errorf("user %q: %w", user, err)
		}
		u.GID = gid
	}
	if u.Name != "" {
		u.AdditionalGIDs = memberships(groups, u.Name)
	}
	return u.ExecUser, nil
}

// namedUser is an ExecUser plus the passwd name that found it, if any.
type namedUser struct {
	ExecUser
	Name string
}

// lookupUser finds the user part of a user string. A number is a uid even
// when a user of that name exists (docker's rule); the first passwd entry
// wins when several match.
func lookupUser(entries []passwdEntry, s string) (namedUser, error) {
	if s == "" {
		s = "0"
	}
	uid, numeric := parseID(s)
	if !numeric && isAllDigits(s) {
		return namedUser{}, invalidf("uid %s is out of range", s)
	}
	for _, e := range entries {
		if (numeric && e.UID == uid) || (!numeric && e.Name == s) {
			home := e.Home
			if home == "" {
				home = "/"
			}
			return namedUser{ExecUser: ExecUser{UID: e.UID, GID: e.GID, Home: home}, Name: e.Name}, nil
		}
	}
	if !numeric {
		return namedUser{}, invalidf("no user %q in the image's /etc/passwd", s)
	}
	return namedUser{ExecUser: ExecUser{UID: uid, Home: "/"}}, nil
}

// lookupGroup finds the group part: a number needs no /etc/group entry.
func lookupGroup(entries []groupEntry, s string) (uint32, error) {
	if gid, ok := parseID(s); ok {
		return gid, nil
	}
	if isAllDigits(s) {
		return 0, invalidf("gid %s is out of range", s)
	}
	for _, e := range entries {
		if e.Name == s {
			return e.GID, nil
		}
	}
	return 0, invalidf("no group %q in the image's /etc/group", s)
}

// memberships lists the gids of the groups naming user as a member.
func memberships(entries []groupEntry, user string) []uint32 {
	var gids []uint32
	for _, e := range entries {
		if slices.Contains(e.Members, user) && !slices.Contains(gids, e.GID) {
			gids = append(gids, e.GID)
		}
	}
	return gids
}

func isAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
