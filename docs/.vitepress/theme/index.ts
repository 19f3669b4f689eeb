import DefaultTheme from 'vitepress/theme'
import './brand.css'

// The default theme, in the colours of the logo.
export default DefaultTheme
