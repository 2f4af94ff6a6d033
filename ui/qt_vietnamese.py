"""Vietnamese for Qt's own strings (context menus, standard buttons): Qt ships no translation."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

_TEXTS = {
    "&Undo": "&Hoàn tác", "&Redo": "&Làm lại", "Cu&t": "Cắ&t", "&Copy": "&Sao chép", "&Paste": "&Dán",
    "Delete": "Xóa", "Select All": "Chọn tất cả", "Copy &Link Location": "Sao chép địa chỉ liên kết",
    "OK": "Đồng ý", "Cancel": "Hủy", "&OK": "Đồng &ý", "&Cancel": "&Hủy", "Close": "Đóng", "&Close": "Đó&ng",
    "Yes": "Có", "No": "Không", "&Yes": "&Có", "&No": "&Không", "Save": "Lưu", "&Save": "&Lưu", "Open": "Mở",
    "&Open": "&Mở", "Apply": "Áp dụng", "Reset": "Đặt lại", "Help": "Trợ giúp", "Discard": "Bỏ qua",
    "Look in:": "Tìm trong:", "&Look in:": "&Tìm trong:", "Files of t&ype:": "&Kiểu tệp:",
    "File &name:": "&Tên tệp:", "Files of type:": "Kiểu tệp:", "Back": "Lùi",
    "Forward": "Tiến", "Parent Directory": "Thư mục cha", "Create New Folder": "Tạo thư mục mới",
    "List View": "Xem danh sách", "Detail View": "Xem chi tiết", "Name": "Tên", "Size": "Cỡ", "Type": "Kiểu",
    "Date Modified": "Ngày sửa", "My Computer": "Máy tính", "Computer": "Máy tính", "New Folder": "Thư mục mới",
    "&Choose": "&Chọn", "Restore": "Khôi phục", "&Restore": "&Khôi phục", "Minimize": "Thu nhỏ",
    "Maximize": "Phóng to", "&Move": "&Di chuyển", "&Size": "&Cỡ", "Mi&nimize": "Thu &nhỏ",
    "Ma&ximize": "Phóng &to", "&Close\tCtrl+F4": "Đó&ng",
    # QFileDialog's overwrite question (its title is the dialog's own, e.g. «Lưu báo cáo Word»)
    "%1 already exists.\nDo you want to replace it?": "Tệp %1 đã có.\nGhi đè lên tệp đó?",
    "%1 already exists.\nDo you want to replace it?\n": "Tệp %1 đã có.\nGhi đè lên tệp đó?",
}


class QtVietnamese(QTranslator):
    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: D401 - Qt API
        # None (a null QString) means "not translated here": Qt then keeps its own text. An empty
        # string would be taken as the translation and blank out e.g. "Ctrl" in "Ctrl+N".
        return _TEXTS.get(source)

    def isEmpty(self) -> bool:  # noqa: N802 - Qt API
        return False


def install(app) -> None:
    QLocale.setDefault(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))  # calendars, day names
    translator = QtVietnamese(app)
    QCoreApplication.installTranslator(translator)
    app._qt_vietnamese = translator  # keep it alive with the application
